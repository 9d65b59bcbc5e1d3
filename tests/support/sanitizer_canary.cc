// The negative control of the sanitizer run (HOLDFAST_SANITIZE=ON): a program
// that starts itself as a child, lets the child commit a memory or
// undefined-behaviour error, and then IGNORES the child's exit status, the
// way a test that expects the agent to fail might. tests/CMakeLists.txt runs
// it through sanitized_run.sh and requires that run to fail: a report in a
// child must fail the test even when the parent exits 0.
//
//   sanitizer_canary spawn MODE   runs `sanitizer_canary MODE`, exits 0 whatever it did
//   sanitizer_canary heap         reads one byte past a heap buffer
//   sanitizer_canary overflow     overflows a signed integer
//   sanitizer_canary clean        does nothing wrong (the positive control)
#include <spawn.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>

extern char** environ;

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "spawn") == 0) {
    char* child_argv[] = {argv[0], argv[2], nullptr};
    pid_t pid = 0;
    if (posix_spawn(&pid, argv[0], nullptr, nullptr, child_argv, environ) != 0) return 2;
    int status = 0;
    waitpid(pid, &status, 0);
    std::printf("child ended with wait status %d; ignored\n", status);
    return 0;
  }
  if (argc == 2 && std::strcmp(argv[1], "heap") == 0) {
    auto buffer = std::make_unique<char[]>(16);
    volatile size_t index = 16;
    return buffer[index];
  }
  if (argc == 2 && std::strcmp(argv[1], "overflow") == 0) {
    // Stored, not compared: g++ folds "big + 1 > 0" into "big >= 0" before
    // UBSan sees an addition.
    volatile int big = std::numeric_limits<int>::max();
    volatile int sum = big + 1;
    return sum == 0 ? 1 : 0;
  }
  if (argc == 2 && std::strcmp(argv[1], "clean") == 0) return 0;
  std::fprintf(stderr, "usage: sanitizer_canary spawn heap|overflow|clean\n");
  return 2;
}
