// Compiles the unit tests' shared precompiled header (see CMakeLists.txt).
