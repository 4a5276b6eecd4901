// Runtime objects' behaviour that needs the interpreter: macro invocation, loop contexts,
// joiners, bound methods, and the global functions (range, dict, lipsum, cycler, joiner,
// namespace).
#include <cmath>

#include "jinja/errors.h"
#include "jinja/pyops.h"
#include "jinja/render.h"

namespace herald::jinja {

void BindArgs(const char* fname, const CallValues& a, std::initializer_list<const char*> names,
              ArgSlots& out) {
  if (names.size() > ArgSlots::kMax) ThrowType(std::string(fname) + "(): too many parameters");
  out.Reset(names.size());
  if (a.args.size() > names.size()) {
    ThrowType(std::string(fname) + "() takes at most " + std::to_string(names.size()) +
              " argument(s) (" + std::to_string(a.args.size()) + " given)");
  }
  for (size_t i = 0; i < a.args.size(); ++i) out[i] = &a.args[i];
  for (const auto& [k, v] : a.kwargs) {
    size_t i = 0;
    bool found = false;
    for (const char* n : names) {
      if (k == n) {
        if (out[i])
          ThrowType(std::string(fname) + "() got multiple values for argument '" + k + "'");
        out[i] = &v;
        found = true;
        break;
      }
      ++i;
    }
    if (!found) ThrowType(std::string(fname) + "() got an unexpected keyword argument '" + k + "'");
  }
}

// ---- macros ----

Value MacroObj::Call(Interp& in, CallValues& a) { return in.InvokeMacro(*this, a); }

Value Interp::InvokeMacro(MacroObj& m, CallValues& a) {
  const MacroDef& d = *m.def;
  // Python's repr of the macro's name (a call block's caller has none).
  auto name_repr = [&d] { return d.name.empty() ? std::string("None") : StrRepr(d.name); };
  size_t argc = d.args.size();
  std::vector<std::pair<std::string, Value>> kwargs = a.kwargs;
  auto pop_kw = [&](const std::string& name, Value* out) {
    for (size_t i = 0; i < kwargs.size(); ++i) {
      if (kwargs[i].first == name) {
        *out = std::move(kwargs[i].second);
        kwargs.erase(kwargs.begin() + i);
        return true;
      }
    }
    return false;
  };
  std::vector<Value> values(argc);
  std::vector<bool> present(argc, false);
  size_t npos = std::min(a.args.size(), argc);
  for (size_t i = 0; i < npos; ++i) {
    values[i] = a.args[i];
    present[i] = true;
  }
  bool found_caller = false;
  if (npos != argc) {
    for (size_t i = npos; i < argc; ++i) {
      if (pop_kw(d.args[i], &values[i])) present[i] = true;
      if (d.args[i] == "caller") found_caller = true;
    }
  } else {
    for (const auto& n : d.args)
      if (n == "caller") found_caller = true;
  }
  Value caller;
  bool has_caller = false;
  if (d.caller && !found_caller) {
    if (!pop_kw("caller", &caller) || caller.is_none()) {
      caller = MakeUndefinedHint(strict_, "No caller defined");
    }
    has_caller = true;
  }
  Value kw_dict;
  if (d.catch_kwargs) {
    Dict kd;
    for (auto& [k, v] : kwargs) kd.set(k, v);
    kw_dict = Value(std::move(kd));
  } else if (!kwargs.empty()) {
    for (const auto& kv : kwargs) {
      if (kv.first == "caller") {
        ThrowType("macro " + name_repr() +
                  " was invoked with two values for the special caller argument. This is most "
                  "likely a bug.");
      }
    }
    ThrowType("macro " + name_repr() + " takes no keyword argument " + StrRepr(kwargs[0].first));
  }
  Value varargs;
  if (d.catch_varargs) {
    List extra;
    for (size_t i = argc; i < a.args.size(); ++i) extra.push_back(a.args[i]);
    varargs = Value::MakeTuple(std::move(extra));
  } else if (a.args.size() > argc) {
    ThrowType("macro " + name_repr() + " takes not more than " + std::to_string(argc) +
              " argument(s)");
  }
  EnterCall();
  auto scope = NewScope(m.closure);
  Run run;
  run.blocks = m.blocks;
  run.root = m.run_root;
  std::string buf;
  OutState ost;
  Frame f{scope, &buf, &run, &ost};
  size_t first_default = argc - d.defaults.size();
  for (size_t i = 0; i < argc; ++i) {
    if (present[i]) {
      scope->Set(d.args[i], values[i]);
    } else if (i >= first_default) {
      scope->Set(d.args[i], Eval(*d.defaults[i - first_default], f));
    } else {
      scope->Set(d.args[i], MakeUndefinedHint(
                                strict_, "parameter " + StrRepr(d.args[i]) + " was not provided"));
    }
  }
  if (has_caller) scope->Set("caller", caller);
  if (d.catch_kwargs) scope->Set("kwargs", kw_dict);
  if (d.catch_varargs) scope->Set("varargs", varargs);
  // The body escapes as where the macro was defined; the result is Markup when the caller
  // escapes (Jinja2 passes the calling eval context to Macro.__call__).
  bool saved = autoescape_;
  autoescape_ = m.autoescape;
  Exec(d.body, f);
  autoescape_ = saved;
  FinishOutput(ost);
  LeaveCall();
  if (saved) return MakeMarkup(std::move(buf));
  return Value(std::move(buf));
}

// ---- loop context ----

Value LoopObj::Call(Interp& in, CallValues& a) { return in.InvokeLoop(*this, a); }

Value LoopObj::Attr(Interp& in, std::string_view name, bool* found) {
  *found = true;
  int64_t n = static_cast<int64_t>(items.size());
  int64_t i = static_cast<int64_t>(index0);
  if (name == "index") return Value(i + 1);
  if (name == "index0") return Value(i);
  if (name == "revindex") return Value(n - i);
  if (name == "revindex0") return Value(n - i - 1);
  if (name == "first") return Value(i == 0);
  if (name == "last") return Value(i == n - 1);
  if (name == "length") return Value(n);
  if (name == "depth") return Value(static_cast<int64_t>(depth0 + 1));
  if (name == "depth0") return Value(static_cast<int64_t>(depth0));
  if (name == "previtem") {
    if (i == 0) return in.UndefinedHint("there is no previous item");
    return items[i - 1];
  }
  if (name == "nextitem") {
    if (i + 1 >= n) return in.UndefinedHint("there is no next item");
    return items[i + 1];
  }
  if (name == "cycle" || name == "changed") {
    return Value(std::shared_ptr<Object>(std::make_shared<BoundMethodObj>(
        Value(std::static_pointer_cast<Object>(shared_from_this())), std::string(name))));
  }
  *found = false;
  return Value();
}

// ---- block and template references (super, self) ----

namespace {

// Jinja2's BlockReference (super, self.<name>): calling it renders one level of a block with
// the scope the reference was made in; `.super` is the level above.
class BlockRefObj : public SuperObjBase {
 public:
  BlockRefObj(std::string name, size_t level, BlockContext bc, std::shared_ptr<Scope> scope)
      : name_(std::move(name)), level_(level), bc_(std::move(bc)), scope_(std::move(scope)) {}
  void Clear() override {
    scope_.reset();
    bc_.root.reset();
  }
  std::string type_name() const override { return "BlockReference"; }
  std::string TypeRepr() const override { return "jinja2.runtime.BlockReference object"; }
  std::string repr() const override { return "<BlockReference " + StrRepr(name_) + ">"; }
  Value Attr(Interp& in, const std::string& name, bool* found) override {
    *found = name == "super";
    return *found ? MakeBlockRef(in, name_, level_ + 1, bc_, scope_) : Value();
  }
  Value Call(Interp& in, CallValues& a) override {
    Run run;
    run.tmpl = bc_.tmpl;
    run.root = bc_.root;
    run.blocks = bc_.blocks;
    std::string buf;
    OutState ost;
    Frame f{scope_, &buf, &run, &ost};
    in.RenderBlockPublic(name_, level_, f);
    in.FinishOutput(ost);
    if (in.autoescape()) return MakeMarkup(std::move(buf));
    return Value(std::move(buf));
  }

 private:
  std::string name_;
  size_t level_;
  BlockContext bc_;
  std::shared_ptr<Scope> scope_;
};

// Jinja2's TemplateReference (`self`): its attributes are the blocks of the render.
class TemplateRefObj : public SuperObjBase {
 public:
  explicit TemplateRefObj(BlockContext bc) : bc_(std::move(bc)) {}
  void Clear() override { bc_.root.reset(); }
  std::string type_name() const override { return "TemplateReference"; }
  std::string TypeRepr() const override { return "jinja2.runtime.TemplateReference object"; }
  std::string repr() const override {
    const std::string& n = bc_.tmpl->name;
    return "<TemplateReference " + (n.empty() ? std::string("None") : StrRepr(n)) + ">";
  }
  Value Attr(Interp& in, const std::string& name, bool* found) override {
    *found = bc_.blocks->count(name) != 0;
    return *found ? MakeBlockRef(in, name, 0, bc_, bc_.root) : Value();
  }
  Value Call(Interp&, CallValues&) override {
    ThrowType("'TemplateReference' object is not callable");
  }

 private:
  BlockContext bc_;
};

}  // namespace

void Interp::SetSelf(Run& run, const TemplateImpl* top, bool& done) {
  if (done || !run.tmpl->prog->uses_self) return;
  done = true;
  auto ref = Track(std::make_shared<TemplateRefObj>(BlockContext{top, run.blocks, run.root}));
  run.root->Set("self", Value(std::shared_ptr<Object>(ref)));
}

Value MakeBlockRef(Interp& in, const std::string& name, size_t level, const BlockContext& bc,
                   std::shared_ptr<Scope> scope) {
  auto it = bc.blocks ? bc.blocks->find(name) : BlockMap::iterator();
  if (!bc.blocks || it == bc.blocks->end() || level >= it->second.size())
    return in.UndefinedHint("there is no parent block called " + StrRepr(name) + ".");
  return Value(std::shared_ptr<Object>(
      in.Track(std::make_shared<BlockRefObj>(name, level, bc, std::move(scope)))));
}

// ---- joiner ----

Value JoinerObj::Call(Interp& in, CallValues& a) {
  if (!used) {
    used = true;
    return Value("");
  }
  return Value(sep);
}

// ---- bound methods ----

Value BoundMethodObj::Call(Interp& in, CallValues& a) {
  if (const JObject* j = AsJ(recv)) {
    switch (j->okind) {
      case OK::kLoop:
        if (auto* loop = dynamic_cast<LoopObj*>(ObjAs<CallableObj>(recv))) {
          if (name == "cycle") {
            if (a.args.empty()) ThrowType("no items for cycling given");
            return a.args[loop->index0 % a.args.size()];
          }
          if (name == "changed") {
            Value v = a.args.size() == 1 ? a.args[0] : Value::MakeTuple(a.args);
            if (!loop->has_last_changed || !Eq(v, loop->last_changed)) {
              loop->has_last_changed = true;
              loop->last_changed = v;
              return Value(true);
            }
            return Value(false);
          }
        }
        break;
      case OK::kCycler: {
        CyclerObj* c = ObjAs<CyclerObj>(recv);
        if (name == "next") {
          if (c->items.empty()) return Value();
          Value rv = c->items[c->pos];
          c->pos = (c->pos + 1) % c->items.size();
          return rv;
        }
        if (name == "reset") {
          c->pos = 0;
          return Value();
        }
        break;
      }
      case OK::kGroupTuple:
      case OK::kRange: {
        std::vector<Value> items = Iterate(recv);
        if (name == "count") {
          if (a.args.size() != 1) ThrowType("count() takes exactly one argument");
          int64_t n = 0;
          for (const Value& v : items)
            if (Eq(v, a.args[0])) ++n;
          return Value(n);
        }
        if (a.args.size() != 1) ThrowType("index() takes exactly one argument");
        for (size_t i = 0; i < items.size(); ++i)
          if (Eq(items[i], a.args[0])) return Value(static_cast<int64_t>(i));
        ThrowValue(Repr(a.args[0]) + " is not in " + (j->okind == OK::kRange ? "range" : "tuple"));
      }
      default: break;
    }
  }
  return CallMethod(in, recv, name, a);
}

// ---- globals ----

namespace {

constexpr int64_t kMaxRange = 100000;

Value GRange(Interp& in, CallValues& a) {
  if (!a.kwargs.empty()) ThrowType("range() takes no keyword arguments");
  if (a.args.empty()) ThrowType("range expected at least 1 argument, got 0");
  if (a.args.size() > 3)
    ThrowType("range expected at most 3 arguments, got " + std::to_string(a.args.size()));
  int64_t v[3] = {0, 0, 1};
  for (size_t i = 0; i < a.args.size(); ++i) {
    if (IsUndefined(a.args[i])) ObjAs<UndefinedObj>(a.args[i])->Fail();
    if (a.args[i].is_float() || !AsInt64(a.args[i], &v[i])) {
      if (IsBigInt(a.args[i]))
        Throw("OverflowError",
              "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
      ThrowType("'" + TypeName(a.args[i]) + "' object cannot be interpreted as an integer");
    }
  }
  int64_t start = 0, stop, step = 1;
  if (a.args.size() == 1) {
    stop = v[0];
  } else {
    start = v[0];
    stop = v[1];
    if (a.args.size() == 3) step = v[2];
  }
  if (step == 0) ThrowValue("range() arg 3 must not be zero");
  auto r = std::make_shared<RangeObj>(start, stop, step);
  // size() in 128-bit to avoid overflow on extreme bounds
  __int128 n = 0;
  if (step > 0 && start < stop) n = ((__int128)stop - start + step - 1) / step;
  if (step < 0 && start > stop) n = ((__int128)start - stop - step - 1) / (-(__int128)step);
  if (n > kMaxRange) {
    Throw("OverflowError",
          "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
  }
  return Value(std::shared_ptr<Object>(r));
}

Value GDict(Interp& in, CallValues& a) {
  Dict d;
  if (a.args.size() > 1)
    ThrowType("dict expected at most 1 argument, got " + std::to_string(a.args.size()));
  if (a.args.size() == 1) {
    const Value& src = a.args[0];
    if (src.is_dict()) {
      for (const auto& [k, v] : src.as_dict()) d.set_item(k, v);
    } else {
      size_t idx = 0;
      for (const Value& item : Iterate(src)) {
        if (!IsIterable(item)) {
          ThrowType("cannot convert dictionary update sequence element #" + std::to_string(idx) +
                    " to a sequence");
        }
        std::vector<Value> kv = Iterate(item);
        if (kv.size() != 2) {
          ThrowValue("dictionary update sequence element #" + std::to_string(idx) + " has length " +
                     std::to_string(kv.size()) + "; 2 is required");
        }
        CheckHashable(kv[0]);
        d.set_item(kv[0], kv[1]);
        ++idx;
      }
    }
  }
  for (const auto& [k, v] : a.kwargs) d.set(k, v);
  return Value(std::move(d));
}

Value GCycler(Interp& in, CallValues& a) {
  if (!a.kwargs.empty())
    ThrowType("Cycler() got an unexpected keyword argument '" + a.kwargs[0].first + "'");
  if (a.args.empty()) Throw("RuntimeError", "at least one item has to be provided");
  auto c = in.Track(std::make_shared<CyclerObj>());
  c->items = a.args;
  return Value(std::shared_ptr<Object>(c));
}

Value GJoiner(Interp& in, CallValues& a) {
  ArgSlots p;
  BindArgs("Joiner", a, {"sep"}, p);
  auto j = std::make_shared<JoinerObj>();
  if (p[0]) j->sep = ToStr(*p[0]);
  return Value(std::shared_ptr<Object>(j));
}

Value GNamespace(Interp& in, CallValues& a) {
  auto ns = in.Track(std::make_shared<NamespaceObj>());
  CallValues copy = a;
  Value d = GDict(in, copy);
  for (const auto& [k, v] : d.as_dict()) ns->attrs.set_item(k, v);
  return Value(std::shared_ptr<Object>(ns));
}

const char* const kLorem[] = {"lorem",      "ipsum",        "dolor",
                              "sit",        "amet",         "consectetur",
                              "adipiscing", "elit",         "sed",
                              "do",         "eiusmod",      "tempor",
                              "incididunt", "ut",           "labore",
                              "et",         "dolore",       "magna",
                              "aliqua",     "enim",         "ad",
                              "minim",      "veniam",       "quis",
                              "nostrud",    "exercitation", "ullamco",
                              "laboris",    "nisi",         "aliquip",
                              "ex",         "ea",           "commodo",
                              "consequat",  "duis",         "aute",
                              "irure",      "in",           "reprehenderit",
                              "voluptate",  "velit",        "esse",
                              "cillum",     "fugiat",       "nulla",
                              "pariatur",   "excepteur",    "sint",
                              "occaecat",   "cupidatat",    "non",
                              "proident",   "sunt",         "culpa",
                              "qui",        "officia",      "deserunt",
                              "mollit",     "anim",         "id",
                              "est",        "laborum"};

// Deterministic lorem ipsum (Jinja2's is random; the shape is the same: n paragraphs of
// min..max words, sentences capitalised and ended with '.', HTML paragraphs when html).
Value GLipsum(Interp& in, CallValues& a) {
  ArgSlots p;
  BindArgs("generate_lorem_ipsum", a, {"n", "html", "min", "max"}, p);
  int64_t n = 5, mn = 20, mx = 100;
  bool html = true;
  if (p[0] && !AsInt64(*p[0], &n))
    ThrowType("'" + TypeName(*p[0]) + "' object cannot be interpreted as an integer");
  if (p[1]) html = Truthy(*p[1]);
  if (p[2]) AsInt64(*p[2], &mn);
  if (p[3]) AsInt64(*p[3], &mx);
  if (n > 100 || mx > 10000) ThrowLimit("lipsum request too large");
  uint64_t seed = 0x2545F4914F6CDD1DULL;
  auto rnd = [&](uint64_t m) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return m ? seed % m : 0;
  };
  std::vector<std::string> paras;
  for (int64_t i = 0; i < n; ++i) {
    int64_t words =
        mn + static_cast<int64_t>(rnd(static_cast<uint64_t>(std::max<int64_t>(mx - mn, 0) + 1)));
    std::string para;
    bool cap = true;
    for (int64_t w = 0; w < words; ++w) {
      std::string word = kLorem[rnd(sizeof(kLorem) / sizeof(kLorem[0]))];
      if (cap) {
        word[0] = static_cast<char>(std::toupper(word[0]));
        cap = false;
      }
      if (!para.empty()) para += ' ';
      para += word;
      if (w + 1 < words && rnd(10) == 0) {
        para += '.';
        cap = true;
      }
    }
    if (!para.empty() && para.back() != '.') para += '.';
    paras.push_back(para);
  }
  std::string out;
  for (size_t i = 0; i < paras.size(); ++i) {
    if (html) {
      if (i) out += "\n";
      out += "<p>" + HtmlEscape(paras[i]) + "</p>";
    } else {
      if (i) out += "\n\n";
      out += paras[i];
    }
  }
  if (html) return MakeMarkup(std::move(out));
  return Value(std::move(out));
}

Value Builtin(const char* name, BuiltinObj::Fn fn, bool is_class, const char* qual) {
  return Value(std::shared_ptr<Object>(std::make_shared<BuiltinObj>(name, fn, is_class, qual)));
}

}  // namespace

void RegisterGlobals(Dict& g) {
  g.set("range", Builtin("range", GRange, true, "range"));
  g.set("dict", Builtin("dict", GDict, true, "dict"));
  g.set("lipsum", Builtin("generate_lorem_ipsum", GLipsum, false, "generate_lorem_ipsum"));
  g.set("cycler", Builtin("Cycler", GCycler, true, "jinja2.utils.Cycler"));
  g.set("joiner", Builtin("Joiner", GJoiner, true, "jinja2.utils.Joiner"));
  g.set("namespace", Builtin("Namespace", GNamespace, true, "jinja2.utils.Namespace"));
}

}  // namespace herald::jinja
