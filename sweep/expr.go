package sweep

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// The expressions of derived values and constraints: numbers, names of
// parameters and earlier derived values, + - * / % with the usual
// precedence, unary minus, parentheses, and the functions of funcs. A
// constraint is two expressions joined by one of < <= > >= == !=.
// Arithmetic is in float64; a result that is not finite is an error of the
// point.

// expr is a compiled expression. Names are resolved to the index of their
// value in the environment at compile time.
type expr interface {
	eval(env []float64) (float64, error)
}

type (
	numExpr  float64
	nameExpr struct {
		name string
		slot int
	}
	negExpr struct{ x expr }
	binExpr struct {
		op   byte
		l, r expr
	}
	callExpr struct {
		fn   string
		args []expr
	}
	cmpExpr struct {
		op   string
		l, r expr
	}
	parseErr struct {
		col int
		msg string
	}
	exprToken struct {
		col  int // 1-based column in the expression
		text string
		kind byte // 'n' number, 'i' identifier, 'o' operator, 0 end
	}
)

func (e *parseErr) Error() string { return fmt.Sprintf("column %d: %s", e.col, e.msg) }

func (n numExpr) eval([]float64) (float64, error) { return float64(n), nil }

func (n nameExpr) eval(env []float64) (float64, error) { return env[n.slot], nil }

func (n negExpr) eval(env []float64) (float64, error) {
	v, err := n.x.eval(env)
	return -v, err
}

func (b binExpr) eval(env []float64) (float64, error) {
	l, err := b.l.eval(env)
	if err != nil {
		return 0, err
	}
	r, err := b.r.eval(env)
	if err != nil {
		return 0, err
	}
	switch b.op {
	case '+':
		return l + r, nil
	case '-':
		return l - r, nil
	case '*':
		return l * r, nil
	case '/':
		if r == 0 {
			return 0, fmt.Errorf("division by zero")
		}
		return l / r, nil
	}
	if r == 0 {
		return 0, fmt.Errorf("remainder of a division by zero")
	}
	return math.Mod(l, r), nil
}

// funcs are the functions of expressions and their numbers of arguments
// (-1: one or more).
var funcs = map[string]int{"floor": 1, "ceil": 1, "round": 1, "abs": 1, "sqrt": 1, "log2": 1, "pow": 2, "min": -1, "max": -1}

func (c callExpr) eval(env []float64) (float64, error) {
	a := make([]float64, len(c.args))
	for i, x := range c.args {
		v, err := x.eval(env)
		if err != nil {
			return 0, err
		}
		a[i] = v
	}
	var v float64
	switch c.fn {
	case "floor":
		v = math.Floor(a[0])
	case "ceil":
		v = math.Ceil(a[0])
	case "round":
		v = math.Round(a[0])
	case "abs":
		v = math.Abs(a[0])
	case "sqrt":
		if a[0] < 0 {
			return 0, fmt.Errorf("sqrt of %g", a[0])
		}
		v = math.Sqrt(a[0])
	case "log2":
		if a[0] <= 0 {
			return 0, fmt.Errorf("log2 of %g", a[0])
		}
		v = math.Log2(a[0])
	case "pow":
		v = math.Pow(a[0], a[1])
	case "min":
		v = a[0]
		for _, x := range a[1:] {
			v = math.Min(v, x)
		}
	case "max":
		v = a[0]
		for _, x := range a[1:] {
			v = math.Max(v, x)
		}
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%s gives %g", c.fn, v)
	}
	return v, nil
}

func (c cmpExpr) eval(env []float64) (float64, error) {
	l, err := c.l.eval(env)
	if err != nil {
		return 0, err
	}
	r, err := c.r.eval(env)
	if err != nil {
		return 0, err
	}
	var ok bool
	switch c.op {
	case "<":
		ok = l < r
	case "<=":
		ok = l <= r
	case ">":
		ok = l > r
	case ">=":
		ok = l >= r
	case "==":
		ok = l == r
	case "!=":
		ok = l != r
	}
	if ok {
		return 1, nil
	}
	return 0, nil
}

// scope resolves names to environment slots; a message explains a name
// that cannot be used.
type scope func(name string) (slot int, msg string)

// compile parses src. A constraint (cond true) must be a comparison; a
// derived value must not be one.
func compile(src string, cond bool, sc scope) (expr, error) {
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	p := &exprParser{toks: toks, scope: sc}
	var e expr
	if cond {
		e, err = p.comparison()
	} else {
		e, err = p.sum()
	}
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != 0 {
		if !cond && isComparison(t.text) {
			return nil, &parseErr{t.col, fmt.Sprintf("a derived value cannot compare (%s); comparisons belong in constraints", t.text)}
		}
		return nil, &parseErr{t.col, fmt.Sprintf("unexpected %q", t.text)}
	}
	return e, nil
}

func isComparison(s string) bool {
	switch s {
	case "<", "<=", ">", ">=", "==", "!=":
		return true
	}
	return false
}

func tokenize(src string) ([]exprToken, error) {
	var toks []exprToken
	rs := []rune(src)
	for i := 0; i < len(rs); {
		r := rs[i]
		col := i + 1
		switch {
		case unicode.IsSpace(r):
			i++
		case unicode.IsDigit(r) || r == '.' && i+1 < len(rs) && unicode.IsDigit(rs[i+1]):
			j := i
			for j < len(rs) && (unicode.IsDigit(rs[j]) || rs[j] == '.') {
				j++
			}
			if j < len(rs) && (rs[j] == 'e' || rs[j] == 'E') {
				k := j + 1
				if k < len(rs) && (rs[k] == '+' || rs[k] == '-') {
					k++
				}
				if k < len(rs) && unicode.IsDigit(rs[k]) {
					for j = k; j < len(rs) && unicode.IsDigit(rs[j]); j++ {
					}
				}
			}
			text := string(rs[i:j])
			if _, err := strconv.ParseFloat(text, 64); err != nil {
				return nil, &parseErr{col, fmt.Sprintf("bad number %q", text)}
			}
			toks = append(toks, exprToken{col, text, 'n'})
			i = j
		case unicode.IsLetter(r) || r == '_':
			j := i
			for j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j]) || rs[j] == '_' || rs[j] == '.') {
				j++
			}
			toks = append(toks, exprToken{col, string(rs[i:j]), 'i'})
			i = j
		default:
			two := ""
			if i+1 < len(rs) {
				two = string(rs[i : i+2])
			}
			switch {
			case two == "<=" || two == ">=" || two == "==" || two == "!=":
				toks = append(toks, exprToken{col, two, 'o'})
				i += 2
			case strings.ContainsRune("+-*/%(),<>", r):
				toks = append(toks, exprToken{col, string(r), 'o'})
				i++
			default:
				return nil, &parseErr{col, fmt.Sprintf("unexpected %q", string(r))}
			}
		}
	}
	return append(toks, exprToken{col: len(rs) + 1}), nil
}

type exprParser struct {
	toks  []exprToken
	i     int
	scope scope
}

func (p *exprParser) peek() exprToken { return p.toks[p.i] }

func (p *exprParser) next() exprToken {
	t := p.toks[p.i]
	if t.kind != 0 {
		p.i++
	}
	return t
}

func (p *exprParser) comparison() (expr, error) {
	l, err := p.sum()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if !isComparison(t.text) {
		return nil, &parseErr{t.col, "want a comparison (<, <=, >, >=, == or !=)"}
	}
	p.next()
	r, err := p.sum()
	if err != nil {
		return nil, err
	}
	if t2 := p.peek(); isComparison(t2.text) {
		return nil, &parseErr{t2.col, "one comparison per constraint (list several constraints instead)"}
	}
	return cmpExpr{t.text, l, r}, nil
}

func (p *exprParser) sum() (expr, error) {
	l, err := p.term()
	for err == nil && (p.peek().text == "+" || p.peek().text == "-") && p.peek().kind == 'o' {
		op := p.next().text[0]
		var r expr
		if r, err = p.term(); err == nil {
			l = binExpr{op, l, r}
		}
	}
	return l, err
}

func (p *exprParser) term() (expr, error) {
	l, err := p.unary()
	for err == nil && p.peek().kind == 'o' && strings.Contains("*/%", p.peek().text) && len(p.peek().text) == 1 {
		op := p.next().text[0]
		var r expr
		if r, err = p.unary(); err == nil {
			l = binExpr{op, l, r}
		}
	}
	return l, err
}

func (p *exprParser) unary() (expr, error) {
	if t := p.peek(); t.kind == 'o' && t.text == "-" {
		p.next()
		x, err := p.unary()
		return negExpr{x}, err
	}
	return p.primary()
}

func (p *exprParser) primary() (expr, error) {
	t := p.next()
	switch t.kind {
	case 'n':
		v, _ := strconv.ParseFloat(t.text, 64) // checked by tokenize
		return numExpr(v), nil
	case 'i':
		if p.peek().text == "(" {
			return p.call(t)
		}
		slot, msg := p.scope(t.text)
		if msg != "" {
			return nil, &parseErr{t.col, msg}
		}
		return nameExpr{t.text, slot}, nil
	case 'o':
		if t.text == "(" {
			e, err := p.sum()
			if err != nil {
				return nil, err
			}
			if c := p.next(); c.text != ")" {
				return nil, &parseErr{c.col, fmt.Sprintf("want ), got %s", tokText(c))}
			}
			return e, nil
		}
	}
	return nil, &parseErr{t.col, fmt.Sprintf("want a number, a name or (, got %s", tokText(t))}
}

func tokText(t exprToken) string {
	if t.kind == 0 {
		return "the end"
	}
	return strconv.Quote(t.text)
}

func (p *exprParser) call(name exprToken) (expr, error) {
	n, ok := funcs[name.text]
	if !ok {
		return nil, &parseErr{name.col, fmt.Sprintf("unknown function %q (functions: abs, ceil, floor, log2, max, min, pow, round, sqrt)", name.text)}
	}
	p.next() // (
	var args []expr
	for {
		a, err := p.sum()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		t := p.next()
		if t.text == ")" {
			break
		}
		if t.text != "," {
			return nil, &parseErr{t.col, fmt.Sprintf("want , or ), got %s", tokText(t))}
		}
	}
	if n >= 0 && len(args) != n || n < 0 && len(args) == 0 {
		want := fmt.Sprintf("%d argument", n)
		if n != 1 {
			want += "s"
		}
		if n < 0 {
			want = "at least one argument"
		}
		return nil, &parseErr{name.col, fmt.Sprintf("%s takes %s, got %d", name.text, want, len(args))}
	}
	return callExpr{name.text, args}, nil
}
