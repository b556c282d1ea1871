// Parser and evaluator of constraint expressions (see expression.h). Grammar, loosest first:
//   or := and (("or"|"||") and)* ; and := not (("and"|"&&") not)* ; not := ("not"|"!") not | cmp
//   cmp := sum (("<"|"<="|">"|">="|"=="|"!=") sum)? ; sum := prod (("+"|"-") prod)*
//   prod := unary (("*"|"/"|"%") unary)* ; unary := "-" unary | pow ; pow := atom (("^"|"**") unary)?
//   atom := number | string | true | false | name | func "(" or ("," or)* ")" | "(" or ")"
#include "expression.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace lwb::tuner::detail {
namespace {

enum class Tok { End, Number, String, Name, Symbol };
struct Token {
    Tok kind = Tok::End;
    std::string text;
    double number = 0.0;
    std::size_t pos = 0;
};

/// Marks nodes whose value is a categorical parameter (for comparisons with its choices).
struct Parsed {
    int node = -1;
    bool boolean = false; ///< a comparison or logical result
    std::optional<ExprParam> categorical; ///< a bare categorical parameter
    std::optional<ParamValue> literal; ///< a literal (for comparisons with categoricals)
};

class Parser {
public:
    Parser(
        std::string_view text, const ExprLookup& lookup, std::vector<Expression::Node>& nodes, std::vector<int>& params)
        : m_text(text)
        , m_lookup(lookup)
        , m_nodes(nodes)
        , m_params(params)
    {
    }

    Result<Parsed> parse()
    {
        LWB_RETURN_IF_ERROR(tokenize());
        LWB_ASSIGN_OR_RETURN(Parsed top, parseOr());
        if (peek().kind != Tok::End)
            return error("unexpected '" + peek().text + "'", peek().pos);
        return top;
    }

private:
    Unexpected error(const std::string& what, std::size_t pos) const
    {
        return fail(ErrorCode::InvalidArgument,
            "constraint '" + std::string(m_text) + "': " + what + " (at column " + std::to_string(pos + 1) + ")",
            LWB_WHERE);
    }

    Status tokenize()
    {
        std::size_t i = 0;
        while (i < m_text.size()) {
            char c = m_text[i];
            if (std::isspace(static_cast<unsigned char>(c))) {
                ++i;
                continue;
            }
            Token t;
            t.pos = i;
            if (std::isdigit(static_cast<unsigned char>(c))
                || (c == '.' && i + 1 < m_text.size() && std::isdigit(static_cast<unsigned char>(m_text[i + 1])))) {
                double value = 0.0;
                auto [end, ec] = std::from_chars(m_text.data() + i, m_text.data() + m_text.size(), value);
                if (ec != std::errc())
                    return error("bad number", i);
                t.kind = Tok::Number;
                t.number = value;
                std::size_t len = static_cast<std::size_t>(end - (m_text.data() + i));
                t.text = std::string(m_text.substr(i, len));
                i += len;
            } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
                std::size_t j = i;
                while (j < m_text.size()
                    && (std::isalnum(static_cast<unsigned char>(m_text[j])) || m_text[j] == '_' || m_text[j] == '.'))
                    ++j;
                t.kind = Tok::Name;
                t.text = std::string(m_text.substr(i, j - i));
                i = j;
            } else if (c == '"' || c == '\'') {
                std::size_t j = m_text.find(c, i + 1);
                if (j == std::string_view::npos)
                    return error("unterminated string", i);
                t.kind = Tok::String;
                t.text = std::string(m_text.substr(i + 1, j - i - 1));
                i = j + 1;
            } else {
                static constexpr std::string_view kTwo[] = {"<=", ">=", "==", "!=", "&&", "||", "**"};
                t.kind = Tok::Symbol;
                std::string_view rest = m_text.substr(i);
                bool two = false;
                for (auto s : kTwo) {
                    if (rest.substr(0, 2) == s) {
                        t.text = std::string(s);
                        two = true;
                    }
                }
                if (!two) {
                    if (std::string_view("+-*/%^()<>!,").find(c) == std::string_view::npos)
                        return error(std::string("unexpected character '") + c + "'", i);
                    t.text = std::string(1, c);
                }
                i += t.text.size();
            }
            m_tokens.push_back(std::move(t));
        }
        Token end;
        end.pos = m_text.size();
        end.text = "end of text";
        m_tokens.push_back(end);
        return {};
    }

    const Token& peek() const { return m_tokens[m_pos]; }
    bool accept(std::string_view symbol)
    {
        const Token& t = peek();
        if ((t.kind == Tok::Symbol || t.kind == Tok::Name) && t.text == symbol) {
            ++m_pos;
            return true;
        }
        return false;
    }

    int add(Expression::Op op, int a = -1, int b = -1, double number = 0.0)
    {
        Expression::Node node;
        node.op = op;
        node.a = a;
        node.b = b;
        node.number = number;
        m_nodes.push_back(std::move(node));
        return static_cast<int>(m_nodes.size()) - 1;
    }

    /// A numeric operand: a bare categorical becomes its choices' numeric values (if all are numbers).
    Result<int> numeric(const Parsed& p, std::size_t pos)
    {
        if (p.literal && std::holds_alternative<std::string>(*p.literal))
            return error("a string can only be compared with a categorical parameter", pos);
        if (!p.categorical)
            return p.node;
        Expression::Node node;
        node.op = Expression::Op::CategoricalValue;
        node.a = p.node;
        for (const auto& choice : p.categorical->choices) {
            auto value = numericValue(choice);
            if (!value)
                return error("categorical parameter with text choices can only be compared with == or != to "
                             "one of its choices",
                    pos);
            node.table.push_back(*value);
        }
        m_nodes.push_back(std::move(node));
        return static_cast<int>(m_nodes.size()) - 1;
    }

    Result<Parsed> parseOr()
    {
        LWB_ASSIGN_OR_RETURN(Parsed left, parseAnd());
        while (true) {
            std::size_t pos = peek().pos;
            if (!accept("or") && !accept("||"))
                return left;
            LWB_ASSIGN_OR_RETURN(Parsed right, parseAnd());
            LWB_ASSIGN_OR_RETURN(int a, numeric(left, pos));
            LWB_ASSIGN_OR_RETURN(int b, numeric(right, pos));
            left = Parsed {add(Expression::Op::Or, a, b), true, {}, {}};
        }
    }

    Result<Parsed> parseAnd()
    {
        LWB_ASSIGN_OR_RETURN(Parsed left, parseNot());
        while (true) {
            std::size_t pos = peek().pos;
            if (!accept("and") && !accept("&&"))
                return left;
            LWB_ASSIGN_OR_RETURN(Parsed right, parseNot());
            LWB_ASSIGN_OR_RETURN(int a, numeric(left, pos));
            LWB_ASSIGN_OR_RETURN(int b, numeric(right, pos));
            left = Parsed {add(Expression::Op::And, a, b), true, {}, {}};
        }
    }

    Result<Parsed> parseNot()
    {
        std::size_t pos = peek().pos;
        if (accept("not") || accept("!")) {
            LWB_ASSIGN_OR_RETURN(Parsed inner, parseNot());
            LWB_ASSIGN_OR_RETURN(int a, numeric(inner, pos));
            return Parsed {add(Expression::Op::Not, a), true, {}, {}};
        }
        return parseComparison();
    }

    /// Index of a literal among a categorical's choices, or an error naming the choices.
    Result<int> choiceIndex(const ExprParam& param, const ParamValue& literal, std::size_t pos)
    {
        for (std::size_t i = 0; i < param.choices.size(); ++i) {
            if (sameValue(param.choices[i], literal))
                return static_cast<int>(i);
        }
        std::string list;
        for (const auto& c : param.choices)
            list += (list.empty() ? "" : ", ") + formatParamValue(c);
        return error("'" + formatParamValue(literal) + "' is not a choice (" + list + ")", pos);
    }

    Result<Parsed> parseComparison()
    {
        LWB_ASSIGN_OR_RETURN(Parsed left, parseSum());
        static const std::pair<std::string_view, Expression::Op> kOps[]
            = {{"<=", Expression::Op::Le}, {">=", Expression::Op::Ge}, {"==", Expression::Op::Eq},
                {"!=", Expression::Op::Ne}, {"<", Expression::Op::Lt}, {">", Expression::Op::Gt}};
        for (const auto& [symbol, op] : kOps) {
            std::size_t pos = peek().pos;
            if (!accept(symbol))
                continue;
            LWB_ASSIGN_OR_RETURN(Parsed right, parseSum());
            bool equality = op == Expression::Op::Eq || op == Expression::Op::Ne;
            // A categorical compared with == / != to a literal: compare choice indices.
            if (equality && left.categorical && right.literal) {
                LWB_ASSIGN_OR_RETURN(int index, choiceIndex(*left.categorical, *right.literal, pos));
                return Parsed {add(op, left.node, add(Expression::Op::Number, -1, -1, index)), true, {}, {}};
            }
            if (equality && right.categorical && left.literal) {
                LWB_ASSIGN_OR_RETURN(int index, choiceIndex(*right.categorical, *left.literal, pos));
                return Parsed {add(op, add(Expression::Op::Number, -1, -1, index), right.node), true, {}, {}};
            }
            LWB_ASSIGN_OR_RETURN(int a, numeric(left, pos));
            LWB_ASSIGN_OR_RETURN(int b, numeric(right, pos));
            return Parsed {add(op, a, b), true, {}, {}};
        }
        return left;
    }

    Result<Parsed> parseSum()
    {
        LWB_ASSIGN_OR_RETURN(Parsed left, parseProduct());
        while (true) {
            std::size_t pos = peek().pos;
            Expression::Op op;
            if (accept("+"))
                op = Expression::Op::Add;
            else if (accept("-"))
                op = Expression::Op::Sub;
            else
                return left;
            LWB_ASSIGN_OR_RETURN(Parsed right, parseProduct());
            LWB_ASSIGN_OR_RETURN(int a, numeric(left, pos));
            LWB_ASSIGN_OR_RETURN(int b, numeric(right, pos));
            left = Parsed {add(op, a, b), false, {}, {}};
        }
    }

    Result<Parsed> parseProduct()
    {
        LWB_ASSIGN_OR_RETURN(Parsed left, parseUnary());
        while (true) {
            std::size_t pos = peek().pos;
            Expression::Op op;
            if (accept("*"))
                op = Expression::Op::Mul;
            else if (accept("/"))
                op = Expression::Op::Div;
            else if (accept("%"))
                op = Expression::Op::Mod;
            else
                return left;
            LWB_ASSIGN_OR_RETURN(Parsed right, parseUnary());
            LWB_ASSIGN_OR_RETURN(int a, numeric(left, pos));
            LWB_ASSIGN_OR_RETURN(int b, numeric(right, pos));
            left = Parsed {add(op, a, b), false, {}, {}};
        }
    }

    Result<Parsed> parseUnary()
    {
        std::size_t pos = peek().pos;
        if (accept("-")) {
            LWB_ASSIGN_OR_RETURN(Parsed inner, parseUnary());
            LWB_ASSIGN_OR_RETURN(int a, numeric(inner, pos));
            return Parsed {add(Expression::Op::Neg, a), false, {}, {}};
        }
        LWB_ASSIGN_OR_RETURN(Parsed base, parseAtom());
        pos = peek().pos;
        if (accept("^") || accept("**")) {
            LWB_ASSIGN_OR_RETURN(Parsed exponent, parseUnary());
            LWB_ASSIGN_OR_RETURN(int a, numeric(base, pos));
            LWB_ASSIGN_OR_RETURN(int b, numeric(exponent, pos));
            return Parsed {add(Expression::Op::Pow, a, b), false, {}, {}};
        }
        return base;
    }

    Result<Parsed> parseAtom()
    {
        Token t = peek();
        if (t.kind == Tok::Number) {
            ++m_pos;
            Parsed parsed;
            parsed.node = add(Expression::Op::Number, -1, -1, t.number);
            double rounded = std::round(t.number);
            if (rounded == t.number && std::fabs(t.number) < 9e15)
                parsed.literal.emplace(std::in_place_type<std::int64_t>, static_cast<std::int64_t>(rounded));
            else
                parsed.literal.emplace(std::in_place_type<double>, t.number);
            return parsed;
        }
        if (t.kind == Tok::String) {
            ++m_pos;
            return Parsed {add(Expression::Op::Number, -1, -1, 0.0), false, {}, ParamValue(t.text)};
        }
        if (accept("(")) {
            LWB_ASSIGN_OR_RETURN(Parsed inner, parseOr());
            if (!accept(")"))
                return error("expected ')'", peek().pos);
            inner.literal.reset();
            return inner;
        }
        if (t.kind != Tok::Name)
            return error("expected a number, a name or '(' but found '" + t.text + "'", t.pos);
        ++m_pos;
        if (t.text == "true" || t.text == "false") {
            bool value = t.text == "true";
            return Parsed {add(Expression::Op::Number, -1, -1, value ? 1.0 : 0.0), true, {}, ParamValue(value)};
        }
        static const std::pair<std::string_view, Expression::Op> kFunctions[] = {{"min", Expression::Op::Min},
            {"max", Expression::Op::Max}, {"abs", Expression::Op::Abs}, {"log", Expression::Op::Log},
            {"log2", Expression::Op::Log2}, {"exp", Expression::Op::Exp}, {"sqrt", Expression::Op::Sqrt}};
        if (peek().kind == Tok::Symbol && peek().text == "(") {
            for (const auto& [name, op] : kFunctions) {
                if (t.text != name)
                    continue;
                ++m_pos;
                bool binary = op == Expression::Op::Min || op == Expression::Op::Max;
                LWB_ASSIGN_OR_RETURN(Parsed first, parseOr());
                LWB_ASSIGN_OR_RETURN(int a, numeric(first, t.pos));
                int b = -1;
                if (binary) {
                    if (!accept(","))
                        return error(std::string(name) + "() takes two arguments", peek().pos);
                    LWB_ASSIGN_OR_RETURN(Parsed second, parseOr());
                    LWB_ASSIGN_OR_RETURN(b, numeric(second, t.pos));
                }
                if (!accept(")"))
                    return error("expected ')'", peek().pos);
                return Parsed {add(op, a, b), false, {}, {}};
            }
            return error("unknown function '" + t.text + "'", t.pos);
        }
        auto param = m_lookup(t.text);
        if (!param)
            return error("unknown parameter '" + t.text + "'", t.pos);
        if (std::find(m_params.begin(), m_params.end(), param->index) == m_params.end())
            m_params.push_back(param->index);
        int node = add(Expression::Op::Param, -1, -1, param->index);
        if (param->type == ParamType::Categorical)
            return Parsed {node, false, param, {}};
        return Parsed {node, param->type == ParamType::Bool, {}, {}};
    }

    std::string_view m_text;
    const ExprLookup& m_lookup;
    std::vector<Expression::Node>& m_nodes;
    std::vector<int>& m_params;
    std::vector<Token> m_tokens;
    std::size_t m_pos = 0;
};

} // namespace

Result<Expression> Expression::compile(std::string_view text, const ExprLookup& lookup)
{
    Expression expr;
    expr.m_text = std::string(text);
    Parser parser(text, lookup, expr.m_nodes, expr.m_params);
    LWB_ASSIGN_OR_RETURN(Parsed top, parser.parse());
    if (!top.boolean)
        return fail(ErrorCode::InvalidArgument,
            "constraint '" + std::string(text) + "' is not a condition; write a comparison such as 'a * b <= 100'",
            LWB_WHERE);
    expr.m_root = top.node;
    return expr;
}

bool Expression::holds(const double* values) const
{
    for (int index : m_params) {
        if (std::isnan(values[index]))
            return true;
    }
    return evaluate(values) != 0.0;
}

double Expression::evaluate(const double* values) const
{
    return eval(m_root, values);
}

double Expression::eval(int index, const double* values) const
{
    const Node& n = m_nodes[static_cast<std::size_t>(index)];
    auto a = [&] { return eval(n.a, values); };
    auto b = [&] { return eval(n.b, values); };
    switch (n.op) {
    case Op::Number:
        return n.number;
    case Op::Param:
        return values[static_cast<int>(n.number)];
    case Op::CategoricalValue: {
        double i = a();
        if (std::isnan(i) || i < 0 || i >= static_cast<double>(n.table.size()))
            return std::nan("");
        return n.table[static_cast<std::size_t>(i)];
    }
    case Op::Neg:
        return -a();
    case Op::Not:
        return a() == 0.0 ? 1.0 : 0.0;
    case Op::Add:
        return a() + b();
    case Op::Sub:
        return a() - b();
    case Op::Mul:
        return a() * b();
    case Op::Div:
        return a() / b();
    case Op::Mod:
        return std::fmod(a(), b());
    case Op::Pow:
        return std::pow(a(), b());
    case Op::Lt:
        return a() < b() ? 1.0 : 0.0;
    case Op::Le:
        return a() <= b() ? 1.0 : 0.0;
    case Op::Gt:
        return a() > b() ? 1.0 : 0.0;
    case Op::Ge:
        return a() >= b() ? 1.0 : 0.0;
    case Op::Eq:
        return a() == b() ? 1.0 : 0.0;
    case Op::Ne:
        return a() != b() ? 1.0 : 0.0;
    case Op::And:
        return (a() != 0.0 && b() != 0.0) ? 1.0 : 0.0;
    case Op::Or:
        return (a() != 0.0 || b() != 0.0) ? 1.0 : 0.0;
    case Op::Min:
        return std::min(a(), b());
    case Op::Max:
        return std::max(a(), b());
    case Op::Abs:
        return std::fabs(a());
    case Op::Log:
        return std::log(a());
    case Op::Log2:
        return std::log2(a());
    case Op::Exp:
        return std::exp(a());
    case Op::Sqrt:
        return std::sqrt(a());
    }
    return std::nan("");
}

} // namespace lwb::tuner::detail
