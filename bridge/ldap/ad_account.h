// ad_account.h — Active Directory specifics that are pure data conversions:
// objectSid (binary ↔ "S-1-5-21-…"), the "data 52e" code in a failed bind's
// diagnostic message, and account state from userAccountControl /
// accountExpires / pwdLastSet (and OpenLDAP ppolicy's pwdAccountLockedTime).
//
// Why: the login history must record the precise reason (disabled, locked,
// expired…) while the user sees a message that does not reveal whether the
// account exists; and rules may name groups by SID, which survives renames.
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/authenticator.h"
#include "auth/password_change.h"
#include "common/result.h"

namespace idb::ldap {

// Binary objectSid → "S-1-5-21-1-2-3-1104". kInvalidArgument on a malformed value.
Result<std::string> SidToString(std::string_view binary);
// "S-1-5-21-…" → binary objectSid.
Result<std::string> SidFromString(std::string_view text);
// Replaces the last sub-authority (the RID) of a string SID: the primary
// group's SID is the user's domain SID + primaryGroupID.
Result<std::string> SidWithRid(std::string_view user_sid, uint32_t rid);
// Escapes every byte as \XX, for binary values such as objectSid in a filter.
std::string EscapeBinaryFilterValue(std::string_view bytes);

// The AD sub-code of a failed bind: "…AcceptSecurityContext error, data 775, v…"
// → 0x775. nullopt when the message has none (OpenLDAP).
std::optional<uint32_t> AdBindDataCode(std::string_view diagnostic);

// Maps an AD bind sub-code to the precise failure: 525 unknown user, 52e bad
// credentials, 530/531 logon not allowed now/here (disabled), 532 password
// expired, 533 disabled, 701 account expired, 773 must change password,
// 775 locked. Unknown codes → kBadCredentials.
LoginFailure FailureFromAdDataCode(uint32_t code);
// True for the sub-codes AD gives only after it checked the password and found
// it right (530, 531, 532, 533, 701, 773). 52e/525 are wrong password or no
// such user; 775 (locked) comes whatever the password.
bool AdDataCodeProvesPassword(uint32_t code);

// userAccountControl / msDS-User-Account-Control-Computed bits.
inline constexpr uint32_t kUacAccountDisable = 0x0002;
inline constexpr uint32_t kUacLockout = 0x0010;
inline constexpr uint32_t kUacDontExpirePassword = 0x10000;
inline constexpr uint32_t kUacPasswordExpired = 0x800000;

// Account state from a user entry's attributes (lower-case names as keys):
// userAccountControl, msds-user-account-control-computed, accountexpires,
// pwdlastset (AD) and pwdaccountlockedtime (OpenLDAP ppolicy; the special
// value 000001010000Z means "disabled by an administrator").
// Returns kNone when the entry says nothing against a login.
LoginFailure AccountStateFromEntry(const std::map<std::string, std::vector<std::string>>& attrs,
                                   std::chrono::system_clock::time_point now);

// An AD refusal of a unicodePwd change → the precise result. Windows answers
// 0000052D (ERROR_PASSWORD_RESTRICTION) for every policy refusal and 00000056
// (ERROR_INVALID_PASSWORD) for a wrong old password; Samba names the rule
// ("...the password is too short...", "...already used...", "...complexity...",
// "...too young...") and 0000056A for a wrong old password.
PasswordChangeFailure AdPasswordChangeRefusal(int ldap_code, std::string_view diagnostic);
// Samba's "...It should be equal or longer than 7 characters!" → 7; 0 if absent.
int AdMinimumPasswordLength(std::string_view diagnostic);

}  // namespace idb::ldap
