// Constraint expressions between parameters ("batch_size * seq_len <= 65536"): a small recursive
// descent parser producing a flat node list, evaluated on a vector of parameter values (the
// internal numeric form: numbers as is, bools 0/1, categoricals as choice index, NaN = inactive).
#pragma once

#include "lwb/core/result.h"
#include "lwb/tuner/search_space.h"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lwb::tuner::detail {

/// What the parser needs to know about a name.
struct ExprParam {
    int index = -1; ///< position in the value vector
    ParamType type = ParamType::Float;
    std::vector<ParamValue> choices; ///< categorical choices
};

using ExprLookup = std::function<std::optional<ExprParam>(std::string_view name)>;

class Expression {
public:
    /// Parses and resolves names; the top level must be a comparison or a logical combination.
    static Result<Expression> compile(std::string_view text, const ExprLookup& lookup);

    /// True when the constraint holds; a constraint naming an inactive parameter (NaN) holds.
    bool holds(const double* values) const;
    /// The raw value (1/0 for comparisons).
    double evaluate(const double* values) const;
    const std::vector<int>& referencedParams() const { return m_params; }
    const std::string& text() const { return m_text; }

    enum class Op {
        Number,
        Param,
        CategoricalValue,
        Neg,
        Not,
        Add,
        Sub,
        Mul,
        Div,
        Mod,
        Pow,
        Lt,
        Le,
        Gt,
        Ge,
        Eq,
        Ne,
        And,
        Or,
        Min,
        Max,
        Abs,
        Log,
        Log2,
        Exp,
        Sqrt
    };
    struct Node {
        Op op = Op::Number;
        double number = 0.0; ///< Number: value; Param: index
        int a = -1, b = -1; ///< operand nodes
        std::vector<double> table; ///< CategoricalValue: numeric value of each choice
    };

private:
    double eval(int node, const double* values) const;

    std::string m_text;
    std::vector<Node> m_nodes;
    int m_root = -1;
    std::vector<int> m_params;
};

} // namespace lwb::tuner::detail
