#include "ingest/event_input.h"

#include <openssl/evp.h>

#include "common/strings.h"
#include "common/time.h"
#include "model/object_types.h"
#include "value/json.h"

namespace herald {

namespace {

std::string TypeName(const Value& v) {
  switch (v.kind()) {
    case Kind::None: return "null";
    case Kind::Bool: return "boolean";
    case Kind::Int:
    case Kind::Float: return "number";
    case Kind::Str: return "string";
    case Kind::List:
    case Kind::Tuple: return "array";
    case Kind::Dict: return "object";
    default: return v.type_name();
  }
}

Status Bad(std::string reason) { return Status::Error(Code::kInvalidArgument, std::move(reason)); }

// A value from the request as quoted in an error message, cut to kMaxEchoedValueBytes.
std::string Echo(const std::string& s) {
  if (s.size() <= kMaxEchoedValueBytes) return s;
  size_t cut = kMaxEchoedValueBytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 start
  return s.substr(0, cut) + "... (" + std::to_string(s.size()) + " bytes)";
}

}  // namespace

Result<Event> EventFromValue(const Value& v, int64_t now_us) {
  if (!v.is_dict()) return Bad("an event must be a JSON object, not " + TypeName(v));
  Event e;
  e.received_at = now_us;

  const Value* ev = v.get("event");
  if (!ev) return Bad("'event' is required");
  if (!ev->is_str()) return Bad("'event' must be a string, not " + TypeName(*ev));
  auto et = EventTypeForEvent(ev->as_str());
  if (!et) {
    return Bad(
        "unknown event '" + Echo(ev->as_str()) +
        "': expected created, updated, deleted, object_created, object_updated, "
        "object_deleted, job_started, job_completed (or job_ended), job_failed, job_errored");
  }
  e.event = ev->as_str();
  e.event_type = *et;

  const Value* ot = v.get("object_type");
  const Value* model = v.get("model");
  if (ot && ot->is_none()) ot = nullptr;
  if (model && model->is_none()) model = nullptr;
  if (ot) {
    if (!ot->is_str()) return Bad("'object_type' must be a string like \"dcim.device\"");
    if (!IsWellFormedObjectType(ot->as_str()))
      return Bad("'object_type' must look like \"app_label.model\" (e.g. \"dcim.device\"), got '" +
                 Echo(ot->as_str()) + "'");
    e.object_type = ot->as_str();
    e.model = e.object_type.substr(e.object_type.find('.') + 1);
  }
  if (model) {
    if (!model->is_str()) return Bad("'model' must be a string like \"device\"");
    const std::string& m = model->as_str();
    std::string resolved;
    if (m.find('.') != std::string::npos) {
      if (!IsWellFormedObjectType(m))
        return Bad("'model' '" + Echo(m) + "' is not a valid model name");
      resolved = m;
    } else {
      auto mapped = ObjectTypeForModel(m);
      if (!mapped) {
        return Bad("unknown model '" + Echo(m) +
                   "': not a NetBox model name; send 'object_type' (\"app_label.model\") instead");
      }
      resolved = *mapped;
    }
    if (!e.object_type.empty() && e.object_type != resolved) {
      return Bad("'model' '" + Echo(m) + "' does not match 'object_type' '" + e.object_type + "'");
    }
    e.object_type = resolved;
    e.model = resolved.substr(resolved.find('.') + 1);
  }
  if (e.object_type.empty()) return Bad("'object_type' (or 'model') is required");

  const Value* ts = v.get("timestamp");
  if (ts && !ts->is_none()) {
    if (!ts->is_str() || !ParseIso(ts->as_str()))
      return Bad("'timestamp' must be an ISO 8601 date-time string");
    e.timestamp = ts->as_str();
  } else {
    e.timestamp = FormatIsoUtc(now_us);
  }

  for (const char* key : {"username", "request_id"}) {
    const Value* f = v.get(key);
    Value out;
    if (f && !f->is_none()) {
      if (!f->is_str()) return Bad(std::string("'") + key + "' must be a string or null");
      out = *f;
    }
    if (std::string_view(key) == "username") e.username = out;
    else e.request_id = out;
  }

  bool job = e.event_type.rfind("job_", 0) == 0;
  const Value* data = v.get("data");
  if (data && !data->is_none()) {
    if (!data->is_dict()) return Bad("'data' must be an object, not " + TypeName(*data));
    e.data = *data;
  } else if (!job) {
    return Bad("'data' is required for object events and must be an object");
  }

  const Value* snaps = v.get("snapshots");
  if (snaps && !snaps->is_none()) {
    if (!snaps->is_dict()) return Bad("'snapshots' must be an object with prechange/postchange");
    for (const auto& [k, s] : snaps->as_dict()) {
      if (!k.is_str() || (k.as_str() != "prechange" && k.as_str() != "postchange"))
        return Bad("'snapshots' may only hold 'prechange' and 'postchange', got '" + Echo(k.str()) +
                   "'");
      if (!s.is_none() && !s.is_dict())
        return Bad("'snapshots." + k.as_str() + "' must be an object or null");
    }
    Dict d;
    const Value* pre = snaps->get("prechange");
    const Value* post = snaps->get("postchange");
    d.set("prechange", pre ? *pre : Value());
    d.set("postchange", post ? *post : Value());
    e.snapshots = Value(std::move(d));
  }

  const Value* req = v.get("request");
  if (req && !req->is_none()) {
    if (!req->is_dict()) return Bad("'request' must be an object or null");
    e.request = *req;
  }
  const Value* ctx = v.get("context");
  if (ctx && !ctx->is_none()) {
    if (!ctx->is_dict()) return Bad("'context' must be an object or null");
    e.context = *ctx;
  }
  return e;
}

Result<std::string> EventDedupeKey(const Value& v, bool content_keys) {
  if (const Value* id = v.is_dict() ? v.get("id") : nullptr; id && !id->is_none()) {
    if (!id->is_str() || id->as_str().empty() || id->as_str().size() > kMaxDedupeKeyBytes) {
      return Bad("'id' (the event's idempotency key) must be a non-empty string of at most " +
                 std::to_string(kMaxDedupeKeyBytes) + " bytes");
    }
    return "id:" + id->as_str();
  }
  // Without a timestamp of its own (the default is the time of receipt), an identical body may
  // be a new change as well as a retry: such an event gets no content key.
  if (const Value* ts = v.is_dict() ? v.get("timestamp") : nullptr;
      !content_keys || !ts || ts->is_none()) {
    return std::string();
  }
  JsonDumpOptions o;
  o.item_sep = ",";
  o.key_sep = ":";
  o.sort_keys = true;
  std::string canon = DumpJson(v, o);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(canon.data(), canon.size(), md, &len, EVP_sha256(), nullptr);
  return "sha256:" + HexEncode(md, len);
}

namespace {

// What follows "the body" or "line N" in ParseEvents' error for a ParseJson failure.
std::string JsonErrorText(const Status& st) {
  if (st.label() == "ValueError") {  // an int past Python's digit limit (kMaxIntStrDigits)
    return " holds an integer with too many digits: " + st.message();
  }
  return " is not valid JSON: " + st.message();
}

}  // namespace

Result<ParsedEvents> ParseEvents(std::string_view body, bool ndjson, int64_t now_us,
                                 bool content_keys) {
  ParsedEvents out;
  std::vector<Value> items;
  if (ndjson) {
    size_t start = 0, line = 0;
    while (start <= body.size()) {
      size_t nl = body.find('\n', start);
      if (nl == std::string_view::npos) nl = body.size();
      std::string_view l = body.substr(start, nl - start);
      while (!l.empty() && (l.back() == '\r' || l.back() == ' ' || l.back() == '\t'))
        l.remove_suffix(1);
      while (!l.empty() && (l.front() == ' ' || l.front() == '\t')) l.remove_prefix(1);
      if (!l.empty()) {
        auto v = ParseJson(l);
        if (!v.ok()) {
          return Bad("line " + std::to_string(line + 1) + JsonErrorText(v.status()));
        }
        items.push_back(std::move(*v));
      }
      ++line;
      if (nl == body.size()) break;
      start = nl + 1;
    }
    if (items.empty()) {
      return Bad("the body holds no events");
    }
  } else {
    auto v = ParseJson(body);
    if (!v.ok()) {
      return Bad("the body" + JsonErrorText(v.status()));
    }
    if (v->is_list()) {
      items = v->as_list();
      if (items.empty()) {
        return Bad("the body holds no events (empty array)");
      }
    } else {
      items.push_back(std::move(*v));
    }
  }
  out.events.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    auto e = EventFromValue(items[i], now_us);
    auto key = e.ok() ? EventDedupeKey(items[i], content_keys) : Result<std::string>(e.status());
    if (!key.ok()) {
      ++out.error_count;
      if (out.errors.size() < kMaxReportedEventErrors) out.errors.push_back({i, key.status()});
      continue;
    }
    out.events.push_back(std::move(*e));
    out.keys.push_back(std::move(*key));
  }
  return out;
}

namespace {

// The fields the stored event and the render context both carry, in that order, after "event".
void SetCommonEventFields(Dict& d, const Event& e) {
  d.set("timestamp", e.timestamp);
  d.set("object_type", e.object_type);
  d.set("model", e.model);
  d.set("username", e.username);
  d.set("request_id", e.request_id);
}

}  // namespace

Value EventToValue(const Event& e) {
  Dict d;
  if (e.id) d.set("id", e.id);
  d.set("event", e.event);
  d.set("event_type", e.event_type);
  SetCommonEventFields(d, e);
  d.set("data", e.data);
  d.set("snapshots", e.snapshots);
  if (!e.request.is_none()) d.set("request", e.request);
  if (!e.context.is_none()) d.set("context", e.context);
  if (e.received_at) d.set("received_at", FormatIsoUtc(e.received_at, 'Z'));
  return Value(std::move(d));
}

Value BuildContext(const Event& e, const Value& action_data) {
  Dict ctx;
  ctx.set("event", ContextEventName(e.event_type));
  SetCommonEventFields(ctx, e);
  // action_data keys first; the object's values win but keep action_data's position.
  Dict data;
  if (action_data.is_dict())
    for (const auto& [k, val] : action_data.as_dict()) data.set_item(k, val);
  if (e.data.is_dict())
    for (const auto& [k, val] : e.data.as_dict()) data.set_item(k, val);
  ctx.set("data", Value(std::move(data)));
  if (!e.request.is_none()) ctx.set("request", e.request);
  if (e.snapshots.truthy()) ctx.set("snapshots", e.snapshots);
  if (e.context.truthy()) ctx.set("context", e.context);
  return Value(std::move(ctx));
}

}  // namespace herald
