/*
 * fleet_host.c — the example fleet application: the model a fleet-app
 * developer copies to use libidbridge.
 *
 *   fleet-host --plugin build/plugins/src/libidbridge.so.1 --socket /run/idbridge/idbridged.sock \
 *              --user alice [--client-address 10.20.3.4] [--workstation DEPOT-A-PC12] \
 *              [--check 'work_orders.delete@Depot A'] [--check 'parts.issue#Main Store']
 *
 * It dlopen()s the plugin (RTLD_NOW | RTLD_LOCAL), finds every idb_* function
 * it needs with dlsym() and checks idb_abi_version() before using anything,
 * asks for the password without echo (or reads one line from stdin when stdin
 * is not a terminal), signs the user in with idb_login_ex (naming the end
 * user's machine when --client-address is given, as a host serving many
 * users must), prints the account the daemon signed in (its canonical name,
 * not the spelling typed), the profiles, the effective permissions and a few
 * decisions, then answers each --check.
 * When the sign-in answers "password expired" or "must change password", it
 * offers the change: it asks for the new password twice (one line each from
 * stdin when it is not a terminal), calls idb_change_password and, once the
 * directory accepted it, signs in with the new password.
 *
 * --check syntax: PERMISSION[@LOCATION][#WAREHOUSE]
 *   work_orders.delete            no location/warehouse given
 *   work_orders.delete@Depot A    at location "Depot A"
 *   parts.issue#Main Store        at warehouse "Main Store"
 * Exit status: 0 signed in and every --check allowed; 1 a check denied;
 * 2 sign-in failed or usage error.
 *
 * Compiled as C99. Every error code the plugin may return is turned into a
 * sentence for the user; an unknown code is treated as a failure.
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "idbridge.h"

/* The functions we use, resolved by name from the plugin. */
typedef struct plugin_api {
  uint32_t (*abi_version)(void);
  const char *(*version)(void);
  const char *(*strerror_)(idb_status);
  size_t (*last_error)(char *, size_t);
  idb_status (*client_open)(const idb_client_options *, idb_client **);
  void (*client_close)(idb_client *);
  idb_status (*login_ex)(idb_client *, const idb_login_request *, idb_session **);
  idb_status (*session_info)(const idb_session *, idb_session_info **);
  void (*session_info_free)(idb_session_info *);
  int (*check)(const idb_session *, const char *, const char *, const char *);
  idb_status (*profiles)(const idb_session *, idb_string_list **);
  void (*string_list_free)(idb_string_list *);
  idb_status (*permissions)(const idb_session *, idb_permission_list **);
  void (*permission_list_free)(idb_permission_list *);
  idb_status (*logout)(idb_session *);
  void (*session_close)(idb_session *);
  /* Optional (NULL with an older plugin): then no change is offered. */
  idb_status (*change_password)(idb_client *, const idb_password_change *);
} plugin_api;

static int load_symbol(void *lib, const char *name, void **out) {
  *out = dlsym(lib, name);
  if (*out == NULL) {
    fprintf(stderr, "fleet-host: the plugin has no %s (too old?)\n", name);
    return -1;
  }
  return 0;
}

#define LOAD(field, name) \
  if (load_symbol(lib, name, (void **)&api->field) != 0) return -1

static int load_plugin(void *lib, plugin_api *api) {
  LOAD(abi_version, "idb_abi_version");
  LOAD(version, "idb_version");
  LOAD(strerror_, "idb_strerror");
  LOAD(last_error, "idb_last_error");
  LOAD(client_open, "idb_client_open");
  LOAD(client_close, "idb_client_close");
  LOAD(login_ex, "idb_login_ex");
  LOAD(session_info, "idb_session_info_get");
  LOAD(session_info_free, "idb_session_info_free");
  LOAD(check, "idb_check");
  LOAD(profiles, "idb_session_profiles");
  LOAD(string_list_free, "idb_string_list_free");
  LOAD(permissions, "idb_session_permissions");
  LOAD(permission_list_free, "idb_permission_list_free");
  LOAD(logout, "idb_logout");
  LOAD(session_close, "idb_session_close");
  api->change_password = (idb_status(*)(idb_client *, const idb_password_change *))dlsym(lib, "idb_change_password");
  return 0;
}

/* What the user reads for each sign-in result. Unknown codes: a failure. */
static const char *user_message(idb_status s) {
  switch (s) {
    case IDB_OK: return "Signed in.";
    case IDB_E_BAD_CREDENTIALS: return "Sign-in failed: wrong user name or password.";
    case IDB_E_ACCOUNT_DISABLED: return "Sign-in failed: your account is disabled. Contact IT.";
    case IDB_E_ACCOUNT_LOCKED: return "Sign-in failed: your account is locked. Try again later or contact IT.";
    case IDB_E_ACCOUNT_EXPIRED: return "Sign-in failed: your account has expired. Contact IT.";
    case IDB_E_PASSWORD_EXPIRED: return "Sign-in failed: your password has expired. Change it, then sign in again.";
    case IDB_E_MUST_CHANGE_PASSWORD: return "Sign-in failed: you must change your password first.";
    case IDB_E_NO_PROFILE: return "Sign-in refused: no security profile is assigned to you in the fleet application. Contact IT.";
    case IDB_E_DIRECTORY_UNAVAILABLE: return "Sign-in is not possible right now: the company directory cannot be reached.";
    case IDB_E_DAEMON_UNAVAILABLE: return "Sign-in is not possible right now: the sign-in service (idbridged) is not running.";
    case IDB_E_TIMEOUT: return "Sign-in is not possible right now: the sign-in service did not answer in time.";
    case IDB_E_BAD_ARGUMENT: return "Sign-in failed: the user name or password is not valid input.";
    case IDB_E_PERMISSION_DENIED: return "Sign-in is not possible: this program is not allowed to use the sign-in service.";
    case IDB_E_UNSUPPORTED: return "Sign-in failed: this sign-in method is not configured.";
    case IDB_E_PROTOCOL: return "Sign-in is not possible: the sign-in service has an incompatible version.";
    default: return "Sign-in failed because of an internal error.";
  }
}

/* What the user reads for each password change result. */
static const char *change_message(idb_status s) {
  switch (s) {
    case IDB_OK: return "Password changed.";
    case IDB_E_BAD_CREDENTIALS: return "Password not changed: wrong user name or current password.";
    case IDB_E_ACCOUNT_DISABLED: return "Password not changed: your account is disabled. Contact IT.";
    case IDB_E_ACCOUNT_LOCKED: return "Password not changed: your account is locked. Try again later or contact IT.";
    case IDB_E_ACCOUNT_EXPIRED: return "Password not changed: your account has expired. Contact IT.";
    case IDB_E_PASSWORD_EXPIRED: return "Password not changed: it expired too long ago. Contact IT to reset it.";
    case IDB_E_UNSUPPORTED: return "Password changes are not possible here. Contact IT.";
    case IDB_E_DIRECTORY_UNAVAILABLE: return "Password not changed: the company directory cannot be reached.";
    case IDB_E_DAEMON_UNAVAILABLE: return "Password not changed: the sign-in service (idbridged) is not running.";
    case IDB_E_TIMEOUT: return "Password not changed: the sign-in service did not answer in time.";
    case IDB_E_BAD_ARGUMENT: return "Password not changed: the input is not valid.";
    default: return "Password not changed because of an internal error.";
  }
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: fleet-host --plugin PATH [--socket PATH] --user NAME [--client-address ADDR]\n"
          "                  [--workstation NAME] [--check PERM[@LOCATION][#WAREHOUSE]]...\n"
          "  the password is asked without echo, or read as one line from stdin\n");
}

/* Prints a name from the daemon with control bytes escaped, so it cannot
 * move the cursor or forge output lines. */
static void print_name(const char *name) {
  for (const unsigned char *c = (const unsigned char *)name; *c; ++c) {
    if (*c < 0x20 || *c == 0x7f || *c == '\\') printf("\\x%02x", *c);
    else putchar(*c);
  }
}

static int read_password(const char *prompt, char *buf, size_t len) {
  int tty = isatty(STDIN_FILENO);
  struct termios old_t, new_t;
  if (tty) {
    fprintf(stderr, "%s: ", prompt);
    fflush(stderr);
    if (tcgetattr(STDIN_FILENO, &old_t) == 0) {
      new_t = old_t;
      new_t.c_lflag &= ~(tcflag_t)ECHO;
      tcsetattr(STDIN_FILENO, TCSAFLUSH, &new_t);
    } else {
      tty = 0;
    }
  }
  char *got = fgets(buf, (int)len, stdin);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old_t);
    fprintf(stderr, "\n");
  }
  if (got == NULL) return -1;
  buf[strcspn(buf, "\r\n")] = '\0';
  return 0;
}

static void wipe(char *buf, size_t len) {
  volatile char *p = buf;
  for (size_t i = 0; i < len; ++i) p[i] = 0;
}

/* Offers the change after an expired / must-change answer. Returns 0 when
 * the password was changed: *status is then the sign-in with the new password
 * (and *session its session). Returns -1 when it was not changed (the reason
 * already printed). */
static int offer_change(const plugin_api *api, idb_client *client, const idb_login_request *login,
                        idb_status *status, idb_session **session) {
  char new1[1024], new2[1024];
  int changed = -1;
  printf("Choose a new password.\n");
  fflush(stdout);
  if (read_password("New password", new1, sizeof(new1)) != 0 || read_password("New password again", new2, sizeof(new2)) != 0) {
    printf("Password not changed: no new password given.\n");
  } else if (strcmp(new1, new2) != 0) {
    printf("Password not changed: the two new passwords differ.\n");
  } else {
    idb_password_change request = IDB_PASSWORD_CHANGE_INIT;
    request.user = login->user;
    request.old_password = login->password;
    request.new_password = new1;
    request.client_address = login->client_address;
    idb_status s = api->change_password(client, &request);
    if (s == IDB_E_PASSWORD_POLICY) {
      /* The directory's own reason, written for the user. */
      char reason[512];
      api->last_error(reason, sizeof(reason));
      printf("Password not changed: %s\n", reason);
    } else {
      printf("%s\n", change_message(s));
    }
    if (s == IDB_OK) {
      changed = 0;
      idb_login_request again = *login;
      again.password = new1;
      *status = api->login_ex(client, &again, session);
    }
  }
  wipe(new1, sizeof(new1));
  wipe(new2, sizeof(new2));
  return changed;
}

/* Splits "perm@loc#wh" in place. */
static void split_check(char *spec, char **perm, char **loc, char **wh) {
  *perm = spec;
  *loc = NULL;
  *wh = NULL;
  char *hash = strchr(spec, '#');
  if (hash) {
    *hash = '\0';
    *wh = hash + 1;
  }
  char *at = strchr(spec, '@');
  if (at) {
    *at = '\0';
    *loc = at + 1;
  }
}

static void print_session(const plugin_api *api, const idb_session *session) {
  idb_string_list *profiles = NULL;
  if (api->profiles(session, &profiles) == IDB_OK) {
    printf("Profiles:");
    for (size_t i = 0; i < profiles->count; ++i) printf("%s %s", i ? "," : "", profiles->items[i]);
    printf("\n");
    api->string_list_free(profiles);
  }
  idb_permission_list *perms = NULL;
  if (api->permissions(session, &perms) == IDB_OK) {
    printf("Permissions (%zu):\n", perms->count);
    for (size_t i = 0; i < perms->count; ++i) {
      const idb_permission *p = perms->items[i];
      printf("  %-32s ", p->name);
      const char *kind = p->scope == IDB_SCOPE_LOCATION ? "locations" : p->scope == IDB_SCOPE_WAREHOUSE ? "warehouses" : "";
      if (p->scope == IDB_SCOPE_NONE) {
        printf("yes");
      } else if (p->all_except && p->place_count == 0) {
        printf("all %s", kind);
      } else {
        printf("%s %s:", p->all_except ? "all except" : "only", kind);
        for (size_t j = 0; j < p->place_count; ++j) printf("%s %s", j ? "," : "", p->places[j]);
      }
      printf("\n");
    }
    api->permission_list_free(perms);
  }
}

int main(int argc, char **argv) {
  const char *plugin = NULL, *socket_path = NULL, *user = NULL, *client_address = NULL, *workstation = NULL;
  char **checks = calloc((size_t)argc, sizeof(char *));
  int n_checks = 0;
  if (checks == NULL) return 2;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (i + 1 < argc && strcmp(a, "--plugin") == 0) plugin = argv[++i];
    else if (i + 1 < argc && strcmp(a, "--socket") == 0) socket_path = argv[++i];
    else if (i + 1 < argc && strcmp(a, "--user") == 0) user = argv[++i];
    else if (i + 1 < argc && strcmp(a, "--client-address") == 0) client_address = argv[++i];
    else if (i + 1 < argc && strcmp(a, "--workstation") == 0) workstation = argv[++i];
    else if (i + 1 < argc && strcmp(a, "--check") == 0) checks[n_checks++] = argv[++i];
    else if (strcmp(a, "--help") == 0) { usage(stdout); free(checks); return 0; }
    else { fprintf(stderr, "fleet-host: unexpected argument '%s'\n", a); usage(stderr); free(checks); return 2; }
  }
  if (plugin == NULL || user == NULL) { usage(stderr); free(checks); return 2; }

  void *lib = dlopen(plugin, RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) { fprintf(stderr, "fleet-host: cannot load %s: %s\n", plugin, dlerror()); free(checks); return 2; }
  plugin_api api;
  memset(&api, 0, sizeof(api));
  if (load_plugin(lib, &api) != 0) { dlclose(lib); free(checks); return 2; }
  if ((api.abi_version() >> 16) != IDB_ABI_VERSION_MAJOR) {
    fprintf(stderr, "fleet-host: plugin ABI %u.%u, this program needs %d.x\n", api.abi_version() >> 16,
            api.abi_version() & 0xffff, IDB_ABI_VERSION_MAJOR);
    dlclose(lib); free(checks); return 2;
  }

  idb_client_options options = IDB_CLIENT_OPTIONS_INIT;
  options.socket_path = socket_path;
  options.application = "fleet-host";
  idb_client *client = NULL;
  idb_status s = api.client_open(&options, &client);
  if (s != IDB_OK) {
    char detail[256];
    api.last_error(detail, sizeof(detail));
    fprintf(stderr, "fleet-host: %s (%s)\n", api.strerror_(s), detail);
    dlclose(lib); free(checks); return 2;
  }

  char password[1024];
  if (read_password("Password", password, sizeof(password)) != 0) password[0] = '\0';
  idb_session *session = NULL;
  idb_login_request request = IDB_LOGIN_REQUEST_INIT;
  request.user = user;
  request.password = password;
  request.client_address = client_address;
  request.workstation = workstation;
  s = api.login_ex(client, &request, &session);
  if ((s == IDB_E_PASSWORD_EXPIRED || s == IDB_E_MUST_CHANGE_PASSWORD) && api.change_password != NULL) {
    printf("%s\n", s == IDB_E_PASSWORD_EXPIRED ? "Your password has expired." : "You must change your password.");
    if (offer_change(&api, client, &request, &s, &session) != 0) {
      wipe(password, sizeof(password));
      api.client_close(client);
      dlclose(lib);
      free(checks);
      return 2;
    }
  }
  /* Wipe our copy of the password as soon as it was used. */
  wipe(password, sizeof(password));

  int rc = 0;
  if (s != IDB_OK) {
    char detail[256];
    api.last_error(detail, sizeof(detail));
    printf("%s\n", user_message(s));
    fprintf(stderr, "fleet-host: %s [%s]\n", api.strerror_(s), detail);
    rc = 2;
  } else {
    /* The account the daemon resolved ("alice" for a typed "ALICE"). */
    idb_session_info *info = NULL;
    if (api.session_info(session, &info) == IDB_OK) {
      printf("Signed in as ");
      print_name(info->user);
      printf(" (%s; plugin %s).\n", info->source, api.version());
      api.session_info_free(info);
    } else {
      printf("Signed in (plugin %s).\n", api.version());
    }
    print_session(&api, session);
    static const char *const examples[][2] = {
        {"work_orders.view_incomplete", NULL}, {"work_orders.delete", NULL}, {"vehicles.edit", NULL}};
    /* No location given: a location-scoped permission is allowed only where it
       is granted at every location (fail closed). Pass one with --check. */
    printf("A few decisions (no location given: allowed only if granted everywhere):\n");
    for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); ++i) {
      int allow = api.check(session, examples[i][0], examples[i][1], NULL);
      printf("  %-32s %s\n", examples[i][0], allow == IDB_ALLOW ? "allowed" : "denied");
    }
    for (int i = 0; i < n_checks; ++i) {
      char *spec = strdup(checks[i]);
      if (spec == NULL) { rc = 2; break; }
      char *perm, *loc, *wh;
      split_check(spec, &perm, &loc, &wh);
      int allow = api.check(session, perm, loc, wh);
      printf("check %s%s%s%s%s: %s\n", perm, loc ? " at location " : "", loc ? loc : "",
             wh ? " at warehouse " : "", wh ? wh : "", allow == IDB_ALLOW ? "ALLOWED" : "DENIED");
      if (allow != IDB_ALLOW) rc = 1;
      free(spec);
    }
    (void)api.logout(session);
    api.session_close(session);
  }
  api.client_close(client);
  dlclose(lib);
  free(checks);
  return rc;
}
