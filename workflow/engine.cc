#include "workflow/engine.h"

#include <utility>

namespace taskgate::workflow {

// The parts keep a reference to `writer_`, built after them; none uses it
// before the engine is built.
Engine::Engine(store::Store& store, const Clock& clock, EngineOptions options,
               Writer::Options writer_options)
    : options_(std::move(options)),
      directory_(store, writer_, clock, options_),
      principals_(store, writer_, clock, options_),
      calendars_(store, writer_, clock, options_),
      tasks_(store, writer_, clock, options_),
      desk_(store, writer_, clock, options_),
      attachments_(store, writer_, clock, options_),
      recorder_(store, writer_, clock, options_),
      timers_(store, writer_, options_),
      queries_(store, options_),
      public_list_(store, options_),
      writer_(store, std::move(writer_options)) {}

}  // namespace taskgate::workflow
