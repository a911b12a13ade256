# Writes the version header at build time, so that a commit changes `pyhang --version` without
# a new configure run. The file is only rewritten when the text changes (no needless rebuilds).
# In: VERSION (project(VERSION)), SOURCE_DIR, INPUT, OUTPUT.
set(PYHANG_VERSION_STRING "${VERSION}")
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS "${SOURCE_DIR}/.git")
  execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${SOURCE_DIR}" describe --always --dirty --abbrev=10
                  OUTPUT_VARIABLE described OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE failed)
  if(NOT failed AND described)
    set(PYHANG_VERSION_STRING "${VERSION} (git ${described})")
  endif()
endif()
configure_file("${INPUT}" "${OUTPUT}" @ONLY)
