// Request building for webhook delivery: pure functions, no I/O.
//
// These turn rendered webhook pieces into what goes on the wire, reproducing what NetBox's
// `send_webhook` and the Python `requests` stack do (SPEC §5.2-§5.5), with Python's str rules
// from value/pystr.h:
//   * the additional-headers text is split with Python `str.splitlines()` rules and merged like a
//     Python dict (ParseAdditionalHeaders), then checked and merged over Content-Type with
//     requests' case-insensitive rules (FormRequestHeaders);
//   * the body is signed with HMAC-SHA512 (SignBody);
//   * the rendered URL is normalised as requests/urllib3 do (NormalizeUrl);
//   * the job result strings are built from the final response (SuccessMessage/FailureMessage).
// Everything here is thread-safe (no shared state).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "value/value.h"

namespace herald::delivery {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The headers as a JSON object {name: value} in wire order, each value's ISO-8859-1 wire bytes
// shown as UTF-8 text: the attempt log's form (and the explain answer's).
Value HeaderDict(const HeaderList& headers);

// At most this many bytes of a failed response body go into FailureMessage (the rest is cut, the
// way a log line would be). NetBox includes the whole body; 2 KiB keeps job results bounded.
inline constexpr size_t kFailureContentLimit = 2048;

// Name of the signature header (SPEC §5.5).
inline constexpr std::string_view kSignatureHeader = "X-Hook-Signature";

// Splits rendered additional-headers text into (name, value) pairs, as NetBox 4.6.6+ does:
// Python `str.splitlines()` line breaks (\n, \r\n, \r, \v, \f, \x1c, \x1d, \x1e, U+0085, U+2028,
// U+2029 — input is UTF-8), lines without ':' skipped, split at the first ':', name and value
// stripped with Python `str.strip()` (Unicode whitespace). A later identical name (exact,
// case-sensitive) replaces the earlier value but keeps the earlier position. Never fails; names
// may be empty here (FormRequestHeaders rejects them).
HeaderList ParseAdditionalHeaders(std::string_view rendered);

// The first line break ParseAdditionalHeaders would split `text` at (a code point from the list
// above; CR LF reports CR), or 0 when there is none. Invalid UTF-8 bytes are never breaks.
uint32_t FirstLineBreak(std::string_view text);

// "U+000A" style name of a code point, for messages.
std::string CodePointName(uint32_t cp);

// Lowercase hex HMAC-SHA512 of `body` keyed with `secret` (128 characters). The value of the
// X-Hook-Signature header.
std::string SignBody(std::string_view secret, std::string_view body);

// Normalises a rendered payload URL the way requests/urllib3 prepare it: leading whitespace
// stripped, scheme and host lower-cased, empty path becomes "/", dot segments removed, spaces,
// controls and non-ASCII bytes percent-encoded (UTF-8), valid %XX kept (upper-cased; those of
// unreserved characters decoded) unless the component also holds a stray '%', in which case every
// '%' is encoded as %25 (urllib3's rule); an empty query or fragment is dropped. Non-ASCII host
// names are kept as UTF-8 (libcurl applies IDNA). Errors (type "InvalidURL", "MissingSchema" or
// "InvalidSchema"): no scheme ("Invalid URL 'x': No scheme supplied. Perhaps you meant
// https://x?"), a scheme other than http/https, no host, a bad port.
Result<std::string> NormalizeUrl(std::string_view url);

// "Status {status} returned, webhook successfully processed."
std::string SuccessMessage(int status);

// "Status {status} returned with content '{repr}', webhook FAILED to process." where repr is the
// Python bytes repr (BytesRepr, value/pystr.h) of the first kFailureContentLimit bytes of `body`.
std::string FailureMessage(int status, std::string_view body);

// True when requests accepts this header name: non-empty, no ':' anywhere, no CR/LF, and not
// starting with whitespace. Names must also be ASCII to be sendable.
bool ValidHeaderName(std::string_view name);
// True when requests accepts this header value: empty, or no leading whitespace and no CR/LF.
bool ValidHeaderValue(std::string_view value);

// Checks one header as requests + http.client would when forming/sending the request and returns
// the wire form of the value (UTF-8 converted to ISO-8859-1, as http.client encodes values).
// Errors (type "InvalidHeader"): invalid name/value (message in requests' wording), non-ASCII
// name, or a value character above U+00FF.
Result<std::string> CheckHeader(std::string_view name, std::string_view value);

// Builds the request headers the way NetBox does: {"Content-Type": content_type} updated with
// `additional` (in order), then prepared by requests (case-insensitive: a later spelling of the
// same name replaces name and value but keeps the first position), each header checked with
// CheckHeader and values encoded for the wire. Returns the list ready for HttpRequest::headers
// (the caller appends X-Hook-Signature last). On error the Status message is the full
// "Error forming HTTP request: ..." text.
Result<HeaderList> FormRequestHeaders(std::string_view content_type, const HeaderList& additional);

}  // namespace herald::delivery
