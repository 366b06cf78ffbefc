#include "store/actor.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "common/names.h"

namespace idb::store {

Actor CurrentActor() {
  const uid_t uid = ::getuid();
  std::string name = "uid" + std::to_string(uid);
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found && found->pw_name)
    name = SanitizeForLog(found->pw_name, 64);
  std::string actor = name + " (uid " + std::to_string(uid);
  if (const char* sudo = std::getenv("SUDO_USER"); sudo && *sudo) actor += ", sudo by " + SanitizeForLog(sudo, 64);
  return actor + ")";
}

}  // namespace idb::store
