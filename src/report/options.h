// What the user asked to see: shared by the renderers.
#pragma once

namespace pyhang {

struct RenderOptions {
  bool locals = false;
  bool analysis = true;
  bool verbose = false;
  bool color = false;  // ANSI colours in the text report (--color, resolved for the terminal)
};

}  // namespace pyhang
