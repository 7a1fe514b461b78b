// Symbol visibility. libtfjit.so is built with hidden visibility; what the installed headers
// declare is its public API, exported by bracketing each header's declarations with
// TFJIT_API_BEGIN / TFJIT_API_END (or marking one declaration TFJIT_API).
#pragma once

#define TFJIT_API __attribute__((visibility("default")))
#define TFJIT_API_BEGIN _Pragma("GCC visibility push(default)")
#define TFJIT_API_END _Pragma("GCC visibility pop")
