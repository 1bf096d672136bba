// The web console at / (static assets built into the binary).
#include "api/server.h"

namespace retro::api {

// TODO(console): the assets and their routes.
void Server::AddConsoleRoutes() {}

}  // namespace retro::api
