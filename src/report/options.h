// What the user asked to see: shared by the renderers.
#pragma once

namespace pyhang {

struct RenderOptions {
  bool locals = false;
  bool analysis = true;
  bool verbose = false;
};

}  // namespace pyhang
