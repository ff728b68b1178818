#include "workflow/engine.h"

#include <utility>

namespace taskgate::workflow {

Engine::Engine(store::Store& store, const Clock& clock, EngineOptions options)
    : options_(std::move(options)),
      directory_(store, clock, options_),
      tasks_(store, clock, options_),
      desk_(store, clock, options_),
      recorder_(store, clock, options_),
      timers_(store, options_),
      queries_(store, options_) {}

}  // namespace taskgate::workflow
