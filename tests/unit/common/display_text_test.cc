// Untrusted names printed safely: common/display_text.h.
#include "common/display_text.h"

#include <gtest/gtest.h>

namespace idb {
namespace {

TEST(DisplayText, PlainTextIsUnchanged) {
  EXPECT_EQ(EscapeForDisplay("alice"), "alice");
  EXPECT_EQ(EscapeForDisplay("Jürgen Müller-Łukasz 山田"), "Jürgen Müller-Łukasz 山田");
}

TEST(DisplayText, ControlCharactersCannotForgeLines) {
  EXPECT_EQ(EscapeForDisplay("bob\nidbridged info login user=\"root\""),
            "bob\\x0aidbridged info login user=\"root\"");
  EXPECT_EQ(EscapeForDisplay(std::string("a\0b\x7f\x1b[2J", 8)), "a\\x00b\\x7f\\x1b[2J");
}

TEST(DisplayText, BackslashIsEscapedSoEscapesAreUnambiguous) {
  EXPECT_EQ(EscapeForDisplay("a\\x0a"), "a\\\\x0a");
  EXPECT_NE(EscapeForDisplay("a\\x0a"), EscapeForDisplay("a\n"));
}

TEST(DisplayText, RightToLeftOverrideIsShownNotObeyed) {
  EXPECT_EQ(EscapeForDisplay("admin\u202Egnp.exe"), "admin\\u{202E}gnp.exe");
  EXPECT_EQ(EscapeForDisplay("\u2066x\u2069\u200F\u061C"), "\\u{2066}x\\u{2069}\\u{200F}\\u{061C}");
}

TEST(DisplayText, ZeroWidthLookAlikeDoesNotReadAsTheRealName) {
  EXPECT_EQ(EscapeForDisplay("ali\u200Bce"), "ali\\u{200B}ce");
  EXPECT_NE(EscapeForDisplay("ali\u200Bce"), "alice");
  EXPECT_EQ(EscapeForDisplay("\uFEFFalice\u2060\u00AD"), "\\u{FEFF}alice\\u{2060}\\u{00AD}");
  EXPECT_EQ(EscapeForDisplay("x\u2028y"), "x\\u{2028}y");
}

TEST(DisplayText, C1ControlsAreEscaped) { EXPECT_EQ(EscapeForDisplay("a\u0085b\u009B"), "a\\u{0085}b\\u{009B}"); }

TEST(DisplayText, InvalidUtf8BytesAreShownAsHex) {
  EXPECT_EQ(EscapeForDisplay("caf\xE9"), "caf\\xe9");          // Latin-1 é
  EXPECT_EQ(EscapeForDisplay("\xC0\xAF"), "\\xc0\\xaf");        // overlong '/'
  EXPECT_EQ(EscapeForDisplay("\xED\xA0\x80"), "\\xed\\xa0\\x80");  // surrogate
  EXPECT_FALSE(IsValidUtf8("caf\xE9"));
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_TRUE(IsValidUtf8("café \U0001F600"));
  EXPECT_TRUE(IsValidUtf8(""));
}

TEST(DisplayText, QuoteEscapesQuotesAndCutsAtACharacterBoundary) {
  EXPECT_EQ(QuoteForDisplay("say \"hi\""), "\"say \\\"hi\\\"\"");
  const std::string cut = EscapeForDisplay("ééééé", 5);
  EXPECT_EQ(cut, "éé…");
  EXPECT_TRUE(IsValidUtf8(cut));
}

}  // namespace
}  // namespace idb
