// Redaction of credentials for readers who may not see them.
//
// A webhook's additional_headers often carry credentials for the receiver (Authorization,
// X-Api-Key, cookies, ...), and every delivered request carries an X-Hook-Signature computed with
// the webhook's secret. Admin tokens see them; read-only tokens see the header names with the
// values replaced by kRedacted. This is the one place that decides which header is sensitive and
// how it is hidden: the REST API (webhooks, task attempt logs) and the web UI (webhook pages,
// preview, task detail) all call it, so they always agree.
//
// All functions are pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "value/value.h"

namespace herald {

// What replaces a hidden header value.
inline constexpr std::string_view kRedacted = "********";

// True when a header of this name carries a credential: Authorization, Proxy-Authorization,
// Cookie, Set-Cookie, X-Api-Key, and any name containing (case-insensitively) auth, token, key,
// secret, password, passwd, credential, session, cookie or signature.
bool IsCredentialHeader(std::string_view name);

// True when only admins may see this header's value: a credential header or X-Hook-Signature
// (a valid signature lets its holder forge deliveries to the receiver).
bool IsSensitiveHeader(std::string_view name);

// Hides the values of sensitive headers in a header list (name, value); names stay visible.
std::vector<std::pair<std::string, std::string>> RedactHeaders(
    std::vector<std::pair<std::string, std::string>> headers);

// The same for a JSON object of headers ({"Name": "value", ...}, as stored in attempt logs).
// Anything that is not a dict (e.g. unparseable stored text) is hidden as a whole: kRedacted.
Value RedactHeaderDict(const Value& headers);

// Redacts the text of an additional_headers template (one "Name: value" per line, Jinja2
// allowed): a line whose name is sensitive, or whose name is itself templated (holds "{"), so
// that what it renders to cannot be known, becomes "Name: ********". Other lines are kept
// byte for byte, so admins and readers see the same layout.
std::string RedactHeaderTemplate(std::string_view text);

// Redacts the credentials a URL (a webhook's payload_url template, or the URL an attempt was
// sent to) may carry: the password of its user info ("user:********@host"; a user info without
// a password, often a token, is hidden whole), and the values of query parameters whose names
// are credentials (IsCredentialHeader's rule, plus `sig` and `code`, the SAS and function-key
// parameters). Everything else is kept byte for byte. A secret in the path itself (Slack's or
// Teams' incoming-webhook URLs) cannot be told from an ordinary path and stays visible.
std::string RedactUrl(std::string_view url);

}  // namespace herald
