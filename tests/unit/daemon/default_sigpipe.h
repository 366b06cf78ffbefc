// default_sigpipe.h — gives SIGPIPE its default action (end the process) for
// the lifetime of one object, so a test fails hard if the code under test
// lets a SIGPIPE through. Needed because httplib::Server, which other tests
// in the same binary start, sets SIGPIPE to SIG_IGN for the whole process.
#pragma once

#include <signal.h>

namespace idb::testing {

class DefaultSigpipe {
 public:
  DefaultSigpipe() : previous_(::signal(SIGPIPE, SIG_DFL)) {}
  ~DefaultSigpipe() { ::signal(SIGPIPE, previous_); }
  DefaultSigpipe(const DefaultSigpipe&) = delete;
  DefaultSigpipe& operator=(const DefaultSigpipe&) = delete;

 private:
  sighandler_t previous_;
};

}  // namespace idb::testing
