// Routes of re-processing runs and insights (docs/api/runs.md).
#include "api/server.h"

namespace retro::api {

// TODO(runs-api): the routes.
void Server::AddRunRoutes() {}

}  // namespace retro::api
