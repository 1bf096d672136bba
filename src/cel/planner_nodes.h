// The node types of an evaluation tree (private to the planner).
#ifndef RETRO_CEL_PLANNER_NODES_H_
#define RETRO_CEL_PLANNER_NODES_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "cel/cel.h"
#include "cel/planner.h"

namespace re2 {
class RE2;
}

namespace retro::cel::internal {

using NodePtr = std::unique_ptr<Node>;

class ConstNode final : public Node {
 public:
  explicit ConstNode(Value v) : value_(v) {}
  Value Eval(Frame&) const override { return value_; }
  const Value* constant() const override { return &value_; }

 private:
  Value value_;
};

// A declared variable, by activation slot.
class SlotNode final : public Node {
 public:
  SlotNode(int slot, std::string name) : slot_(slot), name_(std::move(name)) {}
  Value Eval(Frame& f) const override;

 private:
  int slot_;
  std::string name_;
};

// A comprehension variable or block slot.
class LocalNode final : public Node {
 public:
  explicit LocalNode(int index) : index_(index) {}
  Value Eval(Frame& f) const override { return f.locals[index_]; }

 private:
  int index_;
};

// Always an error (e.g. an undeclared reference when unchecked).
class ErrorNode final : public Node {
 public:
  explicit ErrorNode(std::string message) : message_(std::move(message)) {}
  Value Eval(Frame& f) const override { return f.ctx->Error(message_); }

 private:
  std::string message_;
};

// A field name with an inline cache: the entry index where it was last
// found. Events of one source share their shape, so the next map usually has
// the field at the same index and one key comparison finds it. The hint is
// only a guess, read and written with relaxed atomics, so any number of
// threads may share it.
class FieldRef {
 public:
  explicit FieldRef(std::string name) : name_(std::move(name)) {}
  FieldRef(FieldRef&& other) noexcept
      : name_(std::move(other.name_)),
        hint_(other.hint_.load(std::memory_order_relaxed)) {}

  const std::string& name() const { return name_; }
  const Value* Find(const MapData& m) const {
    uint32_t h = hint_.load(std::memory_order_relaxed);
    if (h < m.size && KeyIs(m.keys[h], name_)) return &m.values[h];
    const Value* v = m.FindString(name_);
    if (v != nullptr) {
      hint_.store(static_cast<uint32_t>(v - m.values),
                  std::memory_order_relaxed);
    }
    return v;
  }

 private:
  std::string name_;
  mutable std::atomic<uint32_t> hint_{0};
};

class SelectNode final : public Node {
 public:
  SelectNode(NodePtr operand, std::string field, bool test_only)
      : operand_(std::move(operand)),
        field_(std::move(field)),
        test_only_(test_only) {}
  Value Eval(Frame& f) const override;

 private:
  NodePtr operand_;
  FieldRef field_;
  bool test_only_;
};

// A chain of field selections from one variable: data.a.b.c.
class PathNode final : public Node {
 public:
  PathNode(NodePtr root, std::vector<std::string> fields)
      : root_(std::move(root)) {
    for (std::string& f : fields) fields_.emplace_back(std::move(f));
  }
  Value Eval(Frame& f) const override;

 private:
  NodePtr root_;
  std::vector<FieldRef> fields_;
};

class AndNode final : public Node {
 public:
  AndNode(NodePtr a, NodePtr b) : a_(std::move(a)), b_(std::move(b)) {}
  Value Eval(Frame& f) const override;

 private:
  NodePtr a_, b_;
};

class OrNode final : public Node {
 public:
  OrNode(NodePtr a, NodePtr b) : a_(std::move(a)), b_(std::move(b)) {}
  Value Eval(Frame& f) const override;

 private:
  NodePtr a_, b_;
};

class CondNode final : public Node {
 public:
  CondNode(NodePtr c, NodePtr t, NodePtr e)
      : c_(std::move(c)), t_(std::move(t)), e_(std::move(e)) {}
  Value Eval(Frame& f) const override;

 private:
  NodePtr c_, t_, e_;
};

class CallNode final : public Node {
 public:
  CallNode(std::string name, std::vector<NodePtr> args,
           std::vector<const Overload*> candidates);
  Value Eval(Frame& f) const override;
  // Calls with already evaluated arguments (used for folding).
  Value Call(EvalContext& ctx, std::span<const Value> args) const;

 private:
  std::string name_;
  std::vector<NodePtr> args_;
  std::vector<const Overload*> candidates_;
  bool non_strict_ = false;
  // For one- and two-argument calls whose overloads are told apart by value
  // kinds alone: the overload for each (kind, kind) pair, precomputed. Empty
  // when dispatch needs more than kinds (opaque type names, variadics).
  std::vector<const Overload*> by_kinds_;
};

// A chain `a + b + c + …` (left-associative `_+_`): when every operand is a
// string, one allocation builds the result; otherwise the operands are
// combined pair by pair through `_+_` exactly as the nested calls would.
class ConcatNode final : public Node {
 public:
  ConcatNode(std::vector<NodePtr> operands, std::unique_ptr<CallNode> add)
      : operands_(std::move(operands)), add_(std::move(add)) {}
  Value Eval(Frame& f) const override;

 private:
  std::vector<NodePtr> operands_;
  std::unique_ptr<CallNode> add_;  // `_+_` with no argument nodes
};

class ListNode final : public Node {
 public:
  ListNode(std::vector<NodePtr> elems, std::vector<bool> optional)
      : elems_(std::move(elems)), optional_(std::move(optional)) {}
  Value Eval(Frame& f) const override;

 private:
  std::vector<NodePtr> elems_;
  std::vector<bool> optional_;
};

class MapNode final : public Node {
 public:
  struct Entry {
    NodePtr key;
    NodePtr value;
    bool optional;
  };
  explicit MapNode(std::vector<Entry> entries) : entries_(std::move(entries)) {}
  Value Eval(Frame& f) const override;

 private:
  std::vector<Entry> entries_;
};

class ComprehensionNode final : public Node {
 public:
  struct Parts {
    int iter_var = -1;
    int iter_var2 = -1;  // -1 for single-variable comprehensions
    int accu_var = -1;
    NodePtr range, init, condition, step, result;
  };
  explicit ComprehensionNode(Parts p) : p_(std::move(p)) {}
  Value Eval(Frame& f) const override;

 private:
  Parts p_;
};

// cel.@block: evaluates each binding into its local slot, then the result.
class BlockNode final : public Node {
 public:
  BlockNode(std::vector<NodePtr> bindings, std::vector<int> slots,
            NodePtr result)
      : bindings_(std::move(bindings)),
        slots_(std::move(slots)),
        result_(std::move(result)) {}
  Value Eval(Frame& f) const override;

 private:
  std::vector<NodePtr> bindings_;
  std::vector<int> slots_;
  NodePtr result_;
};

// Nodes for operators whose semantics CEL fixes, evaluated without overload
// dispatch. The registry still declares them (for the checker).

// `_==_` / `_!=_`.
class EqualNode final : public Node {
 public:
  EqualNode(NodePtr a, NodePtr b, bool negate)
      : a_(std::move(a)), b_(std::move(b)), negate_(negate) {}
  Value Eval(Frame& f) const override;

 private:
  NodePtr a_, b_;
  bool negate_;
};

// `_<_`, `_<=_`, `_>_`, `_>=_`.
class RelationNode final : public Node {
 public:
  enum class Op { kLess, kLessEqual, kGreater, kGreaterEqual };
  RelationNode(NodePtr a, NodePtr b, Op op, std::string name)
      : a_(std::move(a)), b_(std::move(b)), op_(op), name_(std::move(name)) {}
  Value Eval(Frame& f) const override;

 private:
  NodePtr a_, b_;
  Op op_;
  std::string name_;
};

// `!_`.
class NotNode final : public Node {
 public:
  explicit NotNode(NodePtr a) : a_(std::move(a)) {}
  Value Eval(Frame& f) const override;

 private:
  NodePtr a_;
};

// `@in`.
class InNode final : public Node {
 public:
  InNode(NodePtr elem, NodePtr container)
      : elem_(std::move(elem)), container_(std::move(container)) {}
  Value Eval(Frame& f) const override;

 private:
  NodePtr elem_, container_;
};

// `s.matches(re)` / `matches(s, re)` with a constant, valid pattern compiled
// once at plan time.
class MatchesNode final : public Node {
 public:
  MatchesNode(NodePtr subject, std::unique_ptr<re2::RE2> re);
  ~MatchesNode() override;
  Value Eval(Frame& f) const override;

 private:
  NodePtr subject_;
  std::unique_ptr<re2::RE2> re_;
};

// The expansion of `r.exists(x, p)` / `r.all(x, p)` (single variable),
// recognised by shape: stops at the first decisive element and absorbs
// errors exactly as the comprehension would.
class QuantifierNode final : public Node {
 public:
  QuantifierNode(NodePtr range, int iter_var, NodePtr predicate, bool exists)
      : range_(std::move(range)),
        iter_var_(iter_var),
        predicate_(std::move(predicate)),
        exists_(exists) {}
  Value Eval(Frame& f) const override;

 private:
  NodePtr range_;
  int iter_var_;
  NodePtr predicate_;
  bool exists_;
};

// `s.startsWith(c)`, `s.endsWith(c)`, `s.contains(c)` with a constant string
// `c`: compared in place. A receiver that is not a string goes through the
// general call, so errors and messages stay those of the library.
class StringTestNode final : public Node {
 public:
  enum class Op { kStartsWith, kEndsWith, kContains };
  StringTestNode(NodePtr receiver, std::string arg, Op op,
                 std::unique_ptr<CallNode> general)
      : receiver_(std::move(receiver)),
        arg_(std::move(arg)),
        op_(op),
        general_(std::move(general)) {}
  Value Eval(Frame& f) const override;

 private:
  NodePtr receiver_;
  std::string arg_;
  Op op_;
  std::unique_ptr<CallNode> general_;  // no argument nodes; used via Call()
};

// The expansion of map / filter / transformList (an accumulator that starts
// as [] and appends one element per step), recognised by shape and evaluated
// by appending in place instead of copying the list at every step.
class ListBuilderNode final : public Node {
 public:
  struct Parts {
    NodePtr range;
    int iter_var = -1;
    int iter_var2 = -1;
    NodePtr predicate;  // null when every element is kept
    NodePtr element;
  };
  explicit ListBuilderNode(Parts p) : p_(std::move(p)) {}
  Value Eval(Frame& f) const override;

 private:
  Parts p_;
};

}  // namespace retro::cel::internal

#endif  // RETRO_CEL_PLANNER_NODES_H_
