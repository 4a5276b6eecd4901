// `herald signature verify` and `herald webhooks generate-secret`: the receiver's side of
// delivery/signature.h, for people writing and debugging receivers.
#include <ostream>

#include "app/app.h"
#include "common/strings.h"
#include "common/time.h"
#include "delivery/signature.h"
#include "jinja/cli.h"

namespace herald {

int RunSignatureVerify(const SignatureVerifyArgs& args, std::ostream& out, std::ostream& err) {
  if (args.tolerance_seconds < 0) {
    err << "herald: --tolerance must be 0 or more seconds\n";
    return 2;
  }
  delivery::HeaderList headers;
  for (const std::string& h : args.headers) {
    size_t colon = h.find(':');
    if (colon == std::string::npos || colon == 0) {
      err << "herald: --header takes 'Name: value', got '" << h << "'\n";
      return 2;
    }
    headers.emplace_back(std::string(TrimBlanks(std::string_view(h).substr(0, colon))),
                         std::string(TrimBlanks(std::string_view(h).substr(colon + 1))));
  }
  std::string body;
  if (!jinja::ReadFile(args.body_path, &body)) {
    err << "herald: cannot read body file " << args.body_path << "\n";
    return 2;
  }
  const int64_t now = args.now_seconds ? args.now_seconds : NowUs() / 1'000'000;
  auto verified =
      delivery::VerifySignature(args.secret, headers, body, now, args.tolerance_seconds);
  if (!verified.ok()) {
    err << "herald: signature INVALID: " << verified.status().message() << "\n";
    return 1;
  }
  out << "signature valid (" << *verified << " scheme)\n";
  return 0;
}

int RunGenerateSecret(std::ostream& out, std::ostream& err) {
  auto secret = delivery::GenerateSecret();
  if (!secret.ok()) {
    err << "herald: " << secret.status().message() << "\n";
    return 1;
  }
  out << *secret << "\n";
  return 0;
}

}  // namespace herald
