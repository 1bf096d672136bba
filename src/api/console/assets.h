// The console's static files, built into the binary by embed.cmake (the
// generated console_assets.cc defines the table). Immutable; thread-safe.
#ifndef RETRO_API_CONSOLE_ASSETS_H_
#define RETRO_API_CONSOLE_ASSETS_H_

#include <cstddef>

namespace retro::api::console {

struct Asset {
  const char* path;          // relative to src/api/console, e.g. "app.js"
  const char* content_type;  // with charset for text
  const char* etag;          // quoted strong ETag: a prefix of the SHA-256
  const char* data;
  size_t size;
};

extern const Asset kConsoleAssets[];
extern const size_t kConsoleAssetCount;

}  // namespace retro::api::console

#endif  // RETRO_API_CONSOLE_ASSETS_H_
