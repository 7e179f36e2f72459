#include "core/remote_spec.hpp"

#include <doctest/doctest.h>

namespace cvclone {
namespace {

using Kind = RemoteSpec::Kind;
using Params = std::vector<std::pair<std::string, std::string>>;

RemoteSpec MustParse(const std::string& text) {
  auto spec = ParseRemoteString(text);
  INFO("remote string: " << text);
  REQUIRE_MESSAGE(spec.has_value(), (spec ? "" : spec.error().message()));
  return *spec;
}

std::string ErrorOf(const std::string& text) {
  auto spec = ParseRemoteString(text);
  INFO("remote string: " << text);
  REQUIRE_FALSE(spec.has_value());
  CHECK(spec.error().code() == ErrorCode::kConfig);
  return spec.error().message();
}

TEST_CASE("remote string: local paths") {
  for (const char* text : {"/abs/dir", "rel/dir", ".", "..", "./a:b", "/x/y:z", "file.txt",
                           "a b/c:d", "notes(1).txt", "photos (2020)", "a,b"}) {
    RemoteSpec spec = MustParse(text);
    CHECK(spec.kind == Kind::kLocal);
    CHECK(spec.path == text);
    CHECK(spec.params.empty());
  }
}

TEST_CASE("remote string: config section") {
  RemoteSpec spec = MustParse("remote:bucket/dir");
  CHECK(spec.kind == Kind::kSection);
  CHECK(spec.name == "remote");
  CHECK(spec.path == "bucket/dir");
  CHECK(spec.params.empty());

  spec = MustParse("my remote.v2-x_y:");
  CHECK(spec.kind == Kind::kSection);
  CHECK(spec.name == "my remote.v2-x_y");
  CHECK(spec.path == "");

  spec = MustParse("r:/abs/with:colon");
  CHECK(spec.name == "r");
  CHECK(spec.path == "/abs/with:colon");
}

TEST_CASE("remote string: section with inline parameters") {
  RemoteSpec spec = MustParse("name,opt=val,opt2='a,b':path/x");
  CHECK(spec.kind == Kind::kSection);
  CHECK(spec.name == "name");
  CHECK(spec.params == Params{{"opt", "val"}, {"opt2", "a,b"}});
  CHECK(spec.path == "path/x");

  spec = MustParse("n,a=\"x:y\",b='it''s',c=\"say \"\"hi\"\"\",d=:p");
  CHECK(spec.params == Params{{"a", "x:y"}, {"b", "it's"}, {"c", "say \"hi\""}, {"d", ""}});
  CHECK(spec.path == "p");

  spec = MustParse("n,url='http://h/x':p");  // a '/' inside a quoted value is not local
  CHECK(spec.kind == Kind::kSection);
  CHECK(spec.params == Params{{"url", "http://h/x"}});
}

TEST_CASE("remote string: backend on the fly") {
  RemoteSpec spec = MustParse(":s3:bucket/dir");
  CHECK(spec.kind == Kind::kBackend);
  CHECK(spec.name == "s3");
  CHECK(spec.path == "bucket/dir");

  spec = MustParse(":s3,region=x,endpoint='http://127.0.0.1:9000':bucket");
  CHECK(spec.kind == Kind::kBackend);
  CHECK(spec.params == Params{{"region", "x"}, {"endpoint", "http://127.0.0.1:9000"}});
  CHECK(spec.path == "bucket");

  spec = MustParse(":local:");
  CHECK(spec.name == "local");
  CHECK(spec.path == "");
}

TEST_CASE("remote string: wrapper forms") {
  RemoteSpec spec = MustParse("crypt(s3:bucket/dir)");
  CHECK(spec.kind == Kind::kWrapper);
  CHECK(spec.name == "crypt");
  CHECK(spec.inner == "s3:bucket/dir");
  CHECK(spec.path == "");

  spec = MustParse("crypt,password_command='pass x'(inner:a)/sub/dir");
  CHECK(spec.kind == Kind::kWrapper);
  CHECK(spec.params == Params{{"password_command", "pass x"}});
  CHECK(spec.inner == "inner:a");
  CHECK(spec.path == "sub/dir");

  spec = MustParse("crypt(inner):sub");
  CHECK(spec.inner == "inner");
  CHECK(spec.path == "sub");

  spec = MustParse("crypt(/abs/dir)");  // no ':' at all, still a wrapper
  CHECK(spec.kind == Kind::kWrapper);
  CHECK(spec.inner == "/abs/dir");

  spec = MustParse("crypt(crypt(:s3,opt='a)b':x)/y)/z");  // nested, ')' inside quotes
  CHECK(spec.inner == "crypt(:s3,opt='a)b':x)/y");
  CHECK(spec.path == "z");
  RemoteSpec inner = MustParse(spec.inner);
  CHECK(inner.kind == Kind::kWrapper);
  CHECK(MustParse(inner.inner).params == Params{{"opt", "a)b"}});
}

TEST_CASE("remote string: malformed input is a config error saying what is wrong") {
  CHECK(ErrorOf("").find("empty") != std::string::npos);
  CHECK(ErrorOf("crypt(s3:bucket").find("unbalanced parentheses") != std::string::npos);
  CHECK(ErrorOf("crypt((s3:x)").find("unbalanced") != std::string::npos);
  CHECK(ErrorOf(":").find("empty backend name") != std::string::npos);
  CHECK(ErrorOf("::x").find("empty backend name") != std::string::npos);
  CHECK(ErrorOf(",a=b:x").find("empty remote name") != std::string::npos);
  CHECK(ErrorOf("(s3:x)").find("empty remote name") != std::string::npos);
  CHECK(ErrorOf("name,opt:path").find("has no '='") != std::string::npos);
  CHECK(ErrorOf("name,=v:path").find("empty parameter name") != std::string::npos);
  CHECK(ErrorOf("name,opt='abc:path").find("unterminated") != std::string::npos);
  CHECK(ErrorOf("name,opt=\"abc:path").find("unterminated") != std::string::npos);
  CHECK(ErrorOf("name,opt='a'b:path").find("after the quoted value") != std::string::npos);
  CHECK(ErrorOf("crypt(s3:x)junk").find("unexpected \"junk\"") != std::string::npos);
  CHECK(ErrorOf("crypt(s3:x))").find("after ')'") != std::string::npos);
  CHECK(ErrorOf("crypt():x").find("empty inner") != std::string::npos);
  CHECK(ErrorOf(" name:x").find("leading or trailing space") != std::string::npos);
  CHECK(ErrorOf("bad@name:x").find("invalid character '@'") != std::string::npos);
  CHECK(ErrorOf("my crypt(s3:x)").find("invalid backend name") != std::string::npos);
  CHECK(ErrorOf(":s3,a=b").find("missing ':'") != std::string::npos);
  // A bare value holding ':' would end the parameters there.
  CHECK(ErrorOf(":s3,endpoint=http://127.0.0.1:9000,region=x:bucket")
            .find("the value of parameter \"endpoint\" contains ':' unquoted (a URL?); quote it: "
                  "endpoint='http://...'") != std::string::npos);
  CHECK(ErrorOf("name,endpoint=https://h:path").find("unquoted") != std::string::npos);
  CHECK(ErrorOf("crypt,x=http://h(s3:b)").find("unquoted") != std::string::npos);
  // The message quotes the string.
  CHECK(ErrorOf("crypt(s3:bucket").find("\"crypt(s3:bucket\"") != std::string::npos);
}

// The depth is checked before anything recursive or quadratic is done.
TEST_CASE("remote string: nesting deeper than the limit is refused, quoting only the start") {
  auto nested = [](int depth) {
    std::string s;
    for (int i = 0; i < depth; ++i) s += "crypt(";
    s += "x";
    for (int i = 0; i < depth; ++i) s += ")";
    return s;
  };
  CHECK(MustParse(nested(kMaxRemoteNesting)).kind == Kind::kWrapper);
  const std::string message = ErrorOf(nested(kMaxRemoteNesting + 1));
  CHECK(message.find("nested more than") != std::string::npos);
  const std::string deep = ErrorOf(nested(18000));
  CHECK(deep.find("nested more than") != std::string::npos);
  CHECK(deep.size() < 400);
  // Unbalanced, too: "crypt(" repeated.
  std::string open_only;
  for (int i = 0; i < 18000; ++i) open_only += "crypt(";
  CHECK(ErrorOf(open_only).size() < 400);
  // Parentheses inside a quoted value do not count.
  CHECK(MustParse("crypt,opt='" + std::string(100, '(') + "'(x)").params.size() == 1);
}

// The parser itself knows no file system; "./" and "/" are always local.
TEST_CASE("remote string: ./ and / always mean a local path") {
  for (const char* text : {"./crypt,password_command=touch${IFS}pwned(plain)", "./crypt(x)",
                           "./a:b(c)", "/crypt(x)", "dir/crypt,p=1(x)"}) {
    RemoteSpec spec = MustParse(text);
    CHECK(spec.kind == Kind::kLocal);
    CHECK(spec.path == text);
  }
}

TEST_CASE("remote string: FormatRemoteString round-trips") {
  for (const char* text : {"remote:bucket/dir", ":s3,region=x:b", "n,a='x:y',b='it''s':p",
                           "crypt,password_command='pass x'(inner:a):sub", "/abs/dir"}) {
    RemoteSpec spec = MustParse(text);
    RemoteSpec again = MustParse(FormatRemoteString(spec));
    CHECK(again.kind == spec.kind);
    CHECK(again.name == spec.name);
    CHECK(again.params == spec.params);
    CHECK(again.inner == spec.inner);
    CHECK(again.path == spec.path);
  }
}

// Found by tests/fuzz/remote_string: a quoted last value followed by a path that starts with
// "//" was written unquoted, and "k=v://..." is refused as an unquoted URL.
TEST_CASE("remote string: FormatRemoteString quotes a last value before a path of //") {
  for (const char* text : {"crypt,password2=\"salt\"://(x)/sub", ":s3,region='x'://bucket/k",
                           "n,k='':///p", "n,a=1,b='2'://p"}) {
    RemoteSpec spec = MustParse(text);
    const std::string formatted = FormatRemoteString(spec);
    INFO(text << " -> " << formatted);
    RemoteSpec again = MustParse(formatted);
    CHECK(again.kind == spec.kind);
    CHECK(again.params == spec.params);
    CHECK(again.path == spec.path);
  }
}

// Found by tests/fuzz/remote_string: a secret quoted inside a quoted value (a remote string given
// as a parameter, its quotes doubled) ended the redaction at its first doubled quote, so the
// secret was shown.
TEST_CASE("remote string: a secret quoted inside a quoted remote value is redacted") {
  const std::string text = ":crypt,password=x,remote=':s3,secret_access_key=''a,b'':b':";
  CHECK(RedactRemoteString(text) ==
        ":crypt,password=*** REDACTED ***,remote=':s3,secret_access_key=*** REDACTED ***:b':");
  CHECK(AbbreviateRemoteString(text).find("a,b") == std::string::npos);
  // Deeper, and with the other quote.
  const std::string deeper =
      "crypt,remote=\":crypt,remote=':s3,token=\"\"s,e:c\"\":b':\"(x)";
  CHECK(RedactRemoteString(deeper).find("s,e:c") == std::string::npos);
  // Nothing secret: unchanged, quotes and all.
  for (const std::string& plain : {std::string("n,remote=':s3,region=''x,y'':b':p"),
                                   std::string("n,a='it''s',b=\"q\"\"\":p")}) {
    CHECK(RedactRemoteString(plain) == plain);
  }
}

// Found by tests/fuzz/remote_string: the nesting check took the quote of a bare value such as
// "password=a='" for the start of a quoted value and skipped what followed, so deep nesting there
// was not refused (and the string, formatted again, no longer parsed).
TEST_CASE("remote string: a quote inside a bare value does not hide nesting") {
  std::string deep = "crypt,a=b='(";
  for (int i = 0; i < 40; ++i) deep += "crypt(";
  deep += "x" + std::string(41, ')');
  CHECK(ErrorOf(deep).find("nested more than") != std::string::npos);
  CHECK(ErrorOf(":crypt,password=tok=':p" + std::string(40, '(')).find("nested more than") !=
        std::string::npos);
  // The quote stays a literal character of the value, and the string round-trips.
  RemoteSpec spec = MustParse(":crypt,password=tok=':p(((");
  CHECK(spec.params == std::vector<std::pair<std::string, std::string>>{{"password", "tok='"}});
  CHECK(spec.path == "p(((");
  RemoteSpec again = MustParse(FormatRemoteString(spec));
  CHECK(again.params == spec.params);
  CHECK(again.path == spec.path);
}

}  // namespace
}  // namespace cvclone
