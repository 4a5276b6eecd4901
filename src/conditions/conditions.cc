// Conditions: compilation and evaluation of NetBox 4.7 condition sets; see conditions.h.
//
// Compile mirrors the checks NetBox's Condition/ConditionSet constructors make, in the same order
// (so the same input yields the same first error), and refuses what NetBox would crash on.
// Evaluation resolves pre-split attribute paths without copying data (a list is only built when a
// path crosses a list), and builds error messages only on the failure path.
#include "conditions/conditions.h"

#include <array>
#include <optional>
#include <utility>

#include "conditions/py_regex.h"
#include "value/bigint.h"

namespace herald::conditions {

namespace {

enum class Op : uint8_t { kEq, kGt, kGte, kLt, kLte, kIn, kContains, kRegex, kChanged, kUnchanged };

constexpr std::array<std::string_view, 10> kOpNames = {
    "eq", "gt", "gte", "lt", "lte", "in", "contains", "regex", "changed", "unchanged"};
constexpr std::string_view kOpList =
    "eq, gt, gte, lt, lte, in, contains, regex, changed, unchanged";
constexpr std::string_view kSnapshotPrefix = "snapshots.";

std::string_view OpName(Op op) { return kOpNames[static_cast<size_t>(op)]; }
bool IsSnapshotOp(Op op) { return op == Op::kChanged || op == Op::kUnchanged; }

// Which operators each JSON value type allows (NetBox's Condition.TYPES).
bool OpAllowedFor(Op op, const Value& v) {
  if (IsBigInt(v)) return OpAllowedFor(op, Value(0));  // an int like any other
  switch (v.kind()) {
    case Kind::Str: return op == Op::kEq || op == Op::kContains || op == Op::kRegex;
    case Kind::Bool: return op == Op::kEq || op == Op::kContains;
    case Kind::Int:
    case Kind::Float:
      return op == Op::kEq || op == Op::kGt || op == Op::kGte || op == Op::kLt || op == Op::kLte ||
             op == Op::kContains;
    case Kind::List: return op == Op::kEq || op == Op::kIn || op == Op::kContains;
    case Kind::None: return op == Op::kEq;
    default: return false;
  }
}

// str(type(v)) in Python: "<class 'int'>".
std::string PyClass(const Value& v) { return "<class '" + v.type_name() + "'>"; }

// The absent-payload marker: a dict-like object holding only "snapshots".
class AbsentPayloadObject final : public Object {
 public:
  explicit AbsentPayloadObject(Value snapshots) : snapshots_(std::move(snapshots)) {}
  std::string type_name() const override { return "AbsentData"; }
  std::string repr() const override {
    return "AbsentData({'snapshots': " + snapshots_.repr() + "})";
  }
  bool truthy() const override { return true; }  // a one-key dict
  const Value& snapshots() const { return snapshots_; }

 private:
  Value snapshots_;
};

const AbsentPayloadObject* AsAbsent(const Value& v) {
  if (!v.is_object()) return nullptr;
  return dynamic_cast<const AbsentPayloadObject*>(v.as_object().get());
}

// data.get('snapshots') if isinstance(data, dict) else None.
const Value* RootSnapshots(const Value& data) {
  if (data.is_dict()) return data.as_dict().find("snapshots");
  if (const AbsentPayloadObject* a = AsAbsent(data)) return &a->snapshots();
  return nullptr;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Compiled tree

struct ConditionSet::Node {
  enum class Type : uint8_t { kAnd, kOr, kCondition };
  Type type = Type::kCondition;
  std::vector<Node> children;  // kAnd / kOr

  // kCondition
  std::string location;
  std::string attr;
  std::vector<std::string> path;  // attr.split('.')
  Op op = Op::kEq;
  bool has_value = false;
  Value value;
  bool negate = false;
  // Direct snapshot path "snapshots.<which>[.<remainder>]": 1 prechange, 2 postchange, 0 other.
  int snapshot_which = 0;
  bool has_remainder = false;  // remainder after "snapshots.<which>." is non-empty
  std::optional<PyRegex> regex;
};

using Node = ConditionSet::Node;

namespace {

// ---------------------------------------------------------------------------------------------
// Compilation

struct Compiler {
  std::string* error_location;

  Status Fail(const std::string& location, std::string type, std::string message) {
    if (error_location) *error_location = location;
    return Status::Error(Code::kInvalidArgument, std::move(type), std::move(message));
  }

  static std::string Child(const std::string& location, std::string_view logic, size_t i) {
    std::string s = location;
    if (!s.empty()) s += '.';
    s += logic;
    s += '[';
    s += std::to_string(i);
    s += ']';
    return s;
  }

  // ConditionSet(ruleset).
  Result<Node> Set(const Value& ruleset, const std::string& location, int depth) {
    if (!ruleset.is_dict()) {
      return Fail(location, "ValueError",
                  "Ruleset must be a dictionary, not " + PyClass(ruleset) + ".");
    }
    const Dict& d = ruleset.as_dict();
    if (d.size() != 1) {
      return Condition(ruleset, location, /*top_level=*/true);
    }
    const auto& [key, list] = d.entries()[0];
    std::string lower = key.is_str() ? key.as_str() : key.str();
    for (char& c : lower)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (lower != "and" && lower != "or") {
      return Fail(location, "ValueError",
                  "Invalid logic type: must be 'AND' or 'OR'. Please check documentation.");
    }
    if (!key.is_str() || key.as_str() != lower) {
      return Fail(location, "KeyError",
                  "Logic key '" + key.str() + "' must be lower-case '" + lower +
                      "' (NetBox accepts the spelling but then fails with KeyError: '" + lower +
                      "')");
    }
    if (depth > kMaxNestingDepth) {
      return Fail(
          location, "ValueError",
          "Conditions are nested more than " + std::to_string(kMaxNestingDepth) + " levels deep.");
    }
    Node node;
    node.type = lower == "and" ? Node::Type::kAnd : Node::Type::kOr;
    node.location = location;
    // NetBox iterates the value as-is: a list of rules; an empty string or object iterates
    // nothing (an empty set); anything else fails with TypeError.
    if (list.is_str() || list.is_dict()) {
      bool empty = list.is_str() ? list.as_str().empty() : list.as_dict().empty();
      if (empty) return node;
      return Fail(location, "TypeError",
                  "The value of '" + lower + "' must be a list of conditions, not " +
                      (list.is_str() ? std::string("a string") : std::string("an object")) +
                      " (NetBox fails with TypeError)");
    }
    if (!list.is_list()) {
      return Fail(location, "TypeError",
                  "The value of '" + lower + "' must be a list of conditions, not " +
                      list.type_name() + " (NetBox fails with TypeError: '" + list.type_name() +
                      "' object is not iterable)");
    }
    const List& items = list.as_list();
    node.children.reserve(items.size());
    for (size_t i = 0; i < items.size(); ++i) {
      const Value& rule = items[i];
      std::string loc = Child(location, lower, i);
      bool is_ruleset = false;
      if (rule.is_dict() && rule.as_dict().size() == 1) {
        const Value& k = rule.as_dict().entries()[0].first;
        is_ruleset = k.is_str() && (k.as_str() == "and" || k.as_str() == "or");
      }
      Result<Node> child = is_ruleset ? Set(rule, loc, depth + 1) : Condition(rule, loc, false);
      if (!child.ok()) return child.status();
      node.children.push_back(std::move(child).value());
    }
    return node;
  }

  // Condition(**rule). top_level: a TypeError while binding becomes NetBox's ValueError.
  Result<Node> Condition(const Value& rule, const std::string& location, bool top_level) {
    if (!rule.is_dict()) {
      return Fail(location, "TypeError",
                  "Condition at " + location + " must be an object, not " + rule.type_name() +
                      " (NetBox fails with TypeError: argument after ** must be a mapping)");
    }
    const Value* attr = nullptr;
    const Value* value = nullptr;
    const Value* op = nullptr;
    const Value* negate = nullptr;
    for (const auto& [k, v] : rule.as_dict()) {
      std::string_view name = k.is_str() ? std::string_view(k.as_str()) : std::string_view();
      if (name == "attr") {
        attr = &v;
      } else if (name == "value") {
        value = &v;
      } else if (name == "op") {
        op = &v;
      } else if (name == "negate") {
        negate = &v;
      } else {
        if (top_level) {
          return Fail(location, "ValueError",
                      "Incorrect key(s) informed. Please check documentation.");
        }
        return Fail(location, "TypeError",
                    "Unknown key '" + k.str() + "' in the condition at " + location +
                        ": a condition takes only attr, value, op and negate, and a nested set "
                        "must be written {\"and\": [...]} or {\"or\": [...]} in lower case "
                        "(NetBox fails with TypeError)");
      }
    }
    if (!attr) {
      if (top_level) {
        return Fail(location, "ValueError",
                    "Incorrect key(s) informed. Please check documentation.");
      }
      return Fail(location, "TypeError",
                  "The condition at " + location +
                      " has no 'attr' (NetBox fails with TypeError: missing required argument "
                      "'attr')");
    }

    Node node;
    node.type = Node::Type::kCondition;
    node.location = location;

    // Operator.
    node.op = Op::kEq;
    if (op) {
      bool found = false;
      if (op->is_str()) {
        for (size_t i = 0; i < kOpNames.size(); ++i) {
          if (kOpNames[i] == op->as_str()) {
            node.op = static_cast<Op>(i);
            found = true;
            break;
          }
        }
      }
      if (!found) {
        return Fail(location, "ValueError",
                    "Unknown operator: " + op->str() + ". Must be one of: " + std::string(kOpList));
      }
    }
    std::string op_name(OpName(node.op));

    if (IsSnapshotOp(node.op)) {
      if (value) {
        return Fail(
            location, "ValueError",
            "The '" + op_name + "' operator compares snapshots and does not accept a value.");
      }
      if (!attr->is_str()) return AttrNotString(location, *attr);
      if (attr->as_str().starts_with(kSnapshotPrefix)) {
        return Fail(location, "ValueError",
                    "The '" + op_name + "' operator resolves '" + attr->as_str() +
                        "' within each snapshot dict, not the top-level condition context. Use "
                        "the bare attribute name (e.g. 'status') rather than a snapshot path "
                        "(e.g. 'snapshots.prechange.status'), which is only valid with standard "
                        "operators.");
      }
    } else {
      if (!value) {
        return Fail(location, "ValueError",
                    "A value is required for the '" + op_name + "' operator.");
      }
      switch (value->kind()) {
        case Kind::Str:
        case Kind::Bool:
        case Kind::Int:
        case Kind::Float:
        case Kind::List:
        case Kind::None: break;
        default:
          if (IsBigInt(*value)) break;
          return Fail(location, "ValueError", "Unsupported value type: " + PyClass(*value));
      }
      if (!OpAllowedFor(node.op, *value)) {
        return Fail(location, "ValueError",
                    "Invalid type for " + op_name + " operation: " + PyClass(*value));
      }
      if (!attr->is_str()) return AttrNotString(location, *attr);
      node.has_value = true;
      node.value = *value;
      if (node.op == Op::kRegex) {
        Result<PyRegex> re = PyRegex::Compile(value->as_str());
        if (!re.ok()) {
          return Fail(location, "re.error",
                      "Invalid regular expression " + value->repr() + ": " + re.status().message());
        }
        node.regex = std::move(re).value();
      }
    }
    node.negate = negate && negate->truthy();
    node.attr = attr->as_str();

    // Pre-split the path.
    std::string_view a = node.attr;
    size_t start = 0;
    while (true) {
      size_t dot = a.find('.', start);
      if (dot == std::string_view::npos) {
        node.path.emplace_back(a.substr(start));
        break;
      }
      node.path.emplace_back(a.substr(start, dot - start));
      start = dot + 1;
    }
    if (a.starts_with(kSnapshotPrefix)) {
      std::string_view rest = a.substr(kSnapshotPrefix.size());
      size_t dot = rest.find('.');
      std::string_view which = rest.substr(0, dot);
      node.snapshot_which = which == "prechange" ? 1 : (which == "postchange" ? 2 : 0);
      node.has_remainder = dot != std::string_view::npos && dot + 1 < rest.size();
    }
    return node;
  }

  Status AttrNotString(const std::string& location, const Value& attr) {
    return Fail(location, "AttributeError",
                "The condition's 'attr' must be a string (a dotted path), not " + attr.type_name() +
                    " (NetBox fails with AttributeError: '" + attr.type_name() +
                    "' object has no attribute 'startswith')");
  }
};

// ---------------------------------------------------------------------------------------------
// Path resolution (NetBox 4.7 walk_path)

enum class WalkStatus : uint8_t { kFound, kMissing, kUnwalkable };

struct Walked {
  WalkStatus status = WalkStatus::kMissing;
  const Value* ptr = nullptr;  // the value when kFound: into the data, or at `owned`
  Value owned;                 // a list built by mapping a key over a list
  std::string reason;          // kUnwalkable: "cannot resolve 'k' within str"
  Walked() = default;
  Walked(const Walked&) = delete;
  Walked& operator=(const Walked&) = delete;
};

void Unwalkable(Walked* w, const std::string& key, const Value& within) {
  w->status = WalkStatus::kUnwalkable;
  w->reason = "cannot resolve '" + key + "' within " + within.type_name();
}

// Walks keys[first..] from root. empty_list_is_absent: descending into an empty list is
// "missing" (snapshot operators) instead of yielding [].
void Walk(const Value& root, const std::vector<std::string>& keys, size_t first,
          bool empty_list_is_absent, Walked* w) {
  const Value* cur = &root;
  for (size_t i = first; i < keys.size(); ++i) {
    const std::string& key = keys[i];
    switch (cur->kind()) {
      case Kind::None: w->status = WalkStatus::kMissing; return;
      case Kind::List: {
        const List& items = cur->as_list();
        if (items.empty() && empty_list_is_absent) {
          w->status = WalkStatus::kMissing;
          return;
        }
        List mapped;
        mapped.reserve(items.size());
        for (const Value& item : items) {
          if (item.is_none()) {
            w->status = WalkStatus::kMissing;
            return;
          }
          if (!item.is_dict()) {
            Unwalkable(w, key, item);
            return;
          }
          const Value* v = item.as_dict().find(key);
          if (!v) {
            w->status = WalkStatus::kMissing;
            return;
          }
          mapped.push_back(*v);
        }
        w->owned = Value(std::move(mapped));
        cur = &w->owned;
        break;
      }
      case Kind::Dict: {
        const Value* v = cur->as_dict().find(key);
        if (!v) {
          w->status = WalkStatus::kMissing;
          return;
        }
        cur = v;
        break;
      }
      case Kind::Object:
        if (const AbsentPayloadObject* a = AsAbsent(*cur)) {
          if (key != "snapshots") {
            w->status = WalkStatus::kMissing;
            return;
          }
          cur = &a->snapshots();
          break;
        }
        Unwalkable(w, key, *cur);
        return;
      default: Unwalkable(w, key, *cur); return;
    }
  }
  w->status = WalkStatus::kFound;
  w->ptr = cur;
}

// ---------------------------------------------------------------------------------------------
// Operators

// Outcome of applying an operator: result, or a Python TypeError (message in *type_error), or
// another failure (regex limits) in *other.
enum class Applied : uint8_t { kFalse, kTrue, kTypeError, kOther };

Applied FromBool(bool b) { return b ? Applied::kTrue : Applied::kFalse; }

Applied Apply(const Node& n, const Value& v, std::string* type_error, Status* other) {
  const Value& c = n.value;
  switch (n.op) {
    case Op::kEq: return FromBool(PyEquals(v, c));
    case Op::kGt:
    case Op::kGte:
    case Op::kLt:
    case Op::kLte: {
      static constexpr std::string_view kSym[] = {">", ">=", "<", "<="};
      std::string_view sym = kSym[static_cast<int>(n.op) - static_cast<int>(Op::kGt)];
      if (v.is_int() && c.is_int()) {  // fast path, exact
        int64_t x = v.as_int(), y = c.as_int();
        switch (n.op) {
          case Op::kGt: return FromBool(x > y);
          case Op::kGte: return FromBool(x >= y);
          case Op::kLt: return FromBool(x < y);
          default: return FromBool(x <= y);
        }
      }
      Result<bool> r = PyCompare(v, c, sym);
      if (!r.ok()) {
        *type_error = r.status().message();
        return Applied::kTypeError;
      }
      return FromBool(*r);
    }
    case Op::kIn:
      for (const Value& e : c.as_list())
        if (PyEquals(v, e)) return Applied::kTrue;
      return Applied::kFalse;
    case Op::kContains:
      switch (v.kind()) {
        case Kind::Str:
          if (!c.is_str()) {
            *type_error = "'in <string>' requires string as left operand, not " + c.type_name();
            return Applied::kTypeError;
          }
          return FromBool(v.as_str().find(c.as_str()) != std::string::npos);
        case Kind::List:
        case Kind::Tuple:
          for (const Value& e : v.as_list())
            if (PyEquals(c, e)) return Applied::kTrue;
          return Applied::kFalse;
        case Kind::Dict:
          if (c.is_list() || c.is_dict()) {
            *type_error = "unhashable type: '" + c.type_name() + "'";
            return Applied::kTypeError;
          }
          return FromBool(v.as_dict().find_item(c) != nullptr);
        default:
          *type_error = "argument of type '" + v.type_name() + "' is not iterable";
          return Applied::kTypeError;
      }
    case Op::kRegex: {
      if (!v.is_str()) {
        *type_error = "expected string or bytes-like object, got '" + v.type_name() + "'";
        return Applied::kTypeError;
      }
      Result<bool> m = n.regex->Match(v.as_str());
      if (!m.ok()) {
        *other = m.status();
        return Applied::kOther;
      }
      return FromBool(*m);
    }
    case Op::kChanged:
    case Op::kUnchanged: break;  // handled by the caller
  }
  return Applied::kFalse;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

constexpr int kError = -1;

Status Invalid(std::string message) {
  return Status::Error(Code::kInvalidArgument, "InvalidCondition", std::move(message));
}

// _references_absent_snapshot: a direct path into a null snapshot whose remainder the opposite
// snapshot resolves (or the opposite is null too, or there is no remainder).
bool ReferencesAbsentSnapshot(const Node& n, const Value& data) {
  if (n.snapshot_which == 0) return false;
  const Value* snaps = RootSnapshots(data);
  if (!snaps || !snaps->is_dict()) return false;
  const Dict& s = snaps->as_dict();
  const Value* mine = s.find(n.snapshot_which == 1 ? "prechange" : "postchange");
  if (!mine || !mine->is_none()) return false;
  const Value* other = s.find(n.snapshot_which == 1 ? "postchange" : "prechange");
  if (n.has_remainder && other && !other->is_none()) {
    Walked w;
    Walk(*other, n.path, 2, /*empty_list_is_absent=*/true, &w);
    if (w.status != WalkStatus::kFound) return false;
  }
  return true;
}

int EvalSnapshotOp(const Node& n, const Value& data, TraceEntry* te, Status* err) {
  std::string op(OpName(n.op));
  const Value* snaps = RootSnapshots(data);
  if (!snaps || !snaps->is_dict()) {
    *err = Invalid("No snapshot data available for '" + op +
                   "' operator. Snapshot operators are only meaningful on update and delete "
                   "events.");
    return kError;
  }
  const Dict& s = snaps->as_dict();
  Walked pre, post;
  Walked* sides[2] = {&pre, &post};
  const char* names[2] = {"prechange", "postchange"};
  bool available = false, resolved = false;
  const std::string* first_error = nullptr;
  for (int i = 0; i < 2; ++i) {
    const Value* snap = s.find(names[i]);
    if (!snap || snap->is_none()) continue;  // stays kMissing
    available = true;
    Walk(*snap, n.path, 0, /*empty_list_is_absent=*/true, sides[i]);
    if (sides[i]->status == WalkStatus::kFound) {
      resolved = true;
    } else if (sides[i]->status == WalkStatus::kUnwalkable && !first_error) {
      first_error = &sides[i]->reason;
    }
  }
  if (te) {
    te->resolution = TraceEntry::Resolution::kSnapshots;
    te->pre_found = pre.status == WalkStatus::kFound;
    te->post_found = post.status == WalkStatus::kFound;
    if (te->pre_found) te->pre = *pre.ptr;
    if (te->post_found) te->post = *post.ptr;
  }
  if (!available) {
    *err = Invalid("No snapshot data available for '" + op + "' operator: " + n.attr +
                   ". Snapshot operators are only meaningful on update and delete events.");
    return kError;
  }
  if (!resolved) {
    *err = Invalid("Invalid key path for '" + op + "' operator: " + n.attr +
                   (first_error ? " (" + *first_error + ")" : std::string()) +
                   ". The attribute resolves in neither snapshot. Note that snapshots store raw "
                   "field values, so choice fields have no '.value' suffix.");
    return kError;
  }
  bool equal = pre.status == WalkStatus::kFound && post.status == WalkStatus::kFound &&
               PyEquals(*pre.ptr, *post.ptr);
  bool result = n.op == Op::kChanged ? !equal : equal;
  return (result != n.negate) ? 1 : 0;
}

int EvalCondition(const Node& n, const Value& data, TraceEntry* te, Status* err) {
  if (IsSnapshotOp(n.op)) return EvalSnapshotOp(n, data, te, err);

  // Absent payload: a payload attribute cannot match; negate is not applied.
  if (AsAbsent(data) && n.path[0] != "snapshots") {
    if (te) te->resolution = TraceEntry::Resolution::kAbsentPayload;
    return 0;
  }

  bool absent_snapshot = ReferencesAbsentSnapshot(n, data);
  Walked w;
  static const Value kNone;
  const Value* v = &kNone;
  if (absent_snapshot) {
    if (te) te->resolution = TraceEntry::Resolution::kAbsentSnapshot;
  } else {
    Walk(data, n.path, 0, /*empty_list_is_absent=*/false, &w);
    if (w.status != WalkStatus::kFound) {
      if (te) te->resolution = TraceEntry::Resolution::kMissing;
      *err = Invalid(w.status == WalkStatus::kMissing
                         ? "Invalid key path: " + n.attr
                         : "Invalid key path: " + n.attr + " (" + w.reason + ")");
      return kError;
    }
    v = w.ptr;
    if (te) {
      te->resolution = TraceEntry::Resolution::kValue;
      te->resolved = *v;
    }
  }

  std::string type_error;
  Applied a = Apply(n, *v, &type_error, err);
  bool result;
  switch (a) {
    case Applied::kTrue: result = true; break;
    case Applied::kFalse: result = false; break;
    case Applied::kTypeError:
      if (!absent_snapshot) {
        *err = Invalid("Invalid data type at '" + n.attr + "' for '" + std::string(OpName(n.op)) +
                       "' evaluation: " + type_error);
        return kError;
      }
      result = false;  // null from an absent snapshot: a non-match, negate still applies
      break;
    default:
      *err = Invalid("Evaluation of '" + n.attr + "' with 'regex' failed: " + err->message());
      return kError;
  }
  return (result != n.negate) ? 1 : 0;
}

// A compiled condition as the introspection and trace structs show it.
ConditionInfo InfoOf(const Node& n) {
  ConditionInfo info;
  info.location = n.location;
  info.attr = n.attr;
  info.op = std::string(OpName(n.op));
  info.has_value = n.has_value;
  info.value = n.value;
  info.negate = n.negate;
  return info;
}

int EvalNode(const Node& n, const Value& data, std::vector<TraceEntry>* trace, Status* err,
             Deadline deadline) {
  switch (n.type) {
    case Node::Type::kAnd:
      for (const Node& c : n.children) {
        int r = EvalNode(c, data, trace, err, deadline);
        if (r != 1) return r;
      }
      return 1;
    case Node::Type::kOr:
      for (const Node& c : n.children) {
        int r = EvalNode(c, data, trace, err, deadline);
        if (r != 0) return r;
      }
      return 0;
    case Node::Type::kCondition: break;
  }
  if (deadline != kNoDeadline && Clock::now() >= deadline) {
    *err = Status::Error(Code::kDeadlineExceeded,
                         "the condition time budget ran out before '" + n.attr + "'" +
                             (n.location.empty() ? std::string() : " (" + n.location + ")") +
                             " was evaluated");
    return kError;
  }
  if (!trace) return EvalCondition(n, data, nullptr, err);
  TraceEntry& te = trace->emplace_back();
  static_cast<ConditionInfo&>(te) = InfoOf(n);
  // Note: `te` may dangle after nested pushes, but conditions are leaves: no push happens here.
  int r = EvalCondition(n, data, &te, err);
  te.ok = r != kError;
  te.result = r == 1;
  if (r == kError) te.error = *err;
  return r;
}

void Collect(const Node& n, std::vector<ConditionInfo>* out) {
  if (n.type != Node::Type::kCondition) {
    for (const Node& c : n.children) Collect(c, out);
    return;
  }
  out->push_back(InfoOf(n));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public API

ConditionSet::~ConditionSet() = default;

Result<ConditionSet> ConditionSet::Compile(const Value& conditions, std::string* error_location) {
  Compiler compiler{error_location};
  Result<Node> root = compiler.Set(conditions, "", 0);
  if (!root.ok()) return root.status();
  return ConditionSet(std::make_shared<const Node>(std::move(root).value()));
}

Result<bool> ConditionSet::Evaluate(const Value& data) const { return Evaluate(data, nullptr); }

Result<bool> ConditionSet::Evaluate(const Value& data, std::vector<TraceEntry>* trace) const {
  return Evaluate(data, kNoDeadline, trace);
}

Result<bool> ConditionSet::Evaluate(const Value& data, Deadline deadline,
                                    std::vector<TraceEntry>* trace) const {
  Status err;
  int r = EvalNode(*root_, data, trace, &err, deadline);
  if (r == kError) return err;
  return r == 1;
}

CheckResult ConditionSet::Check(const Value& data, Deadline deadline) const {
  CheckResult out;
  std::vector<TraceEntry> trace;
  out.result = Evaluate(data, deadline, &trace);
  // Evaluation visits conditions in document order, skipping some: walk both lists together
  // (locations are unique within a set).
  size_t next = 0;
  for (auto& info : Conditions()) {
    CheckedCondition& cc = out.conditions.emplace_back();
    if (next < trace.size() && trace[next].location == info.location &&
        trace[next].attr == info.attr)
      cc.trace = std::move(trace[next++]);
    cc.condition = std::move(info);
  }
  return out;
}

std::vector<ConditionInfo> ConditionSet::Conditions() const {
  std::vector<ConditionInfo> out;
  Collect(*root_, &out);
  return out;
}

bool EvalRuleConditions(const ConditionSet* compiled_or_null, const Value& data,
                        std::string* reason) {
  return EvalRuleConditions(compiled_or_null, data, kNoDeadline, reason, nullptr);
}

bool EvalRuleConditions(const ConditionSet* compiled_or_null, const Value& data, Deadline deadline,
                        std::string* reason, Code* error_code) {
  if (reason) reason->clear();
  if (error_code) *error_code = Code::kOk;
  if (!compiled_or_null) return true;
  Result<bool> r = compiled_or_null->Evaluate(data, deadline);
  if (r.ok()) return *r;
  if (reason) *reason = r.status().message();
  if (error_code) *error_code = r.status().code();
  return false;
}

bool IsFalsyConditions(const Value& conditions) { return !conditions.truthy(); }

Value MakeAbsentPayload(const Value& snapshots) {
  return Value(std::shared_ptr<Object>(std::make_shared<AbsentPayloadObject>(snapshots)));
}

bool IsAbsentPayload(const Value& data) { return AsAbsent(data) != nullptr; }

Value BuildEvalData(const Value& payload, const Value& snapshots) {
  if (!payload.is_dict()) return MakeAbsentPayload(snapshots);
  Dict copy = payload.as_dict();
  copy.set("snapshots", snapshots);
  return Value(std::move(copy));
}

}  // namespace herald::conditions
