// fontconfig (under cairo's text rendering) keeps its configuration cache until the process ends:
// LeakSanitizer would report it as a leak in every test that draws text. Only fontconfig's own
// allocations are suppressed; espfab's and cairo's are still checked.
extern "C" const char* __lsan_default_suppressions();
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }
