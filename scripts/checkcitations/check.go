package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Result is what Run found.
type Result struct {
	Problems  []string // "goFile:line: kernelFile:line: what is wrong"
	Unchecked []string // citations of files not in the tree
	ModelOnly []string // calls marked "model-only check": v3.16 has no such check
	Checked   int      // citations looked at
}

// kind is what a citation must land on.
type kind int

const (
	kindAny      kind = iota // a comment's or string's file:line
	kindBug                  // BUG(), BUG_ON, VM_BUG_ON (VM_BUG_ON_PAGE is vmBugOnPage's: it dumps the page)
	kindBugPage              // VM_BUG_ON_PAGE, with its condition text
	kindWarn                 // WARN_ON, WARN
	kindWarnOnce             // WARN_ON_ONCE, WARN_ONCE
)

var kindMacros = map[kind][]string{
	kindBug:      {"BUG", "BUG_ON", "VM_BUG_ON"},
	kindBugPage:  {"VM_BUG_ON_PAGE"},
	kindWarn:     {"WARN_ON", "WARN", "WARN_ON_SMP", "VM_WARN_ON", "WARN_TAINT"},
	kindWarnOnce: {"WARN_ON_ONCE", "WARN_ONCE", "VM_WARN_ON_ONCE", "WARN_TAINT_ONCE"},
}

func (k kind) String() string {
	if k == kindAny {
		return "BUG/WARN macro"
	}
	return strings.Join(kindMacros[k], "/")
}

func (k kind) accepts(macro string) bool {
	if k == kindAny {
		return checkMacros[macro]
	}
	for _, m := range kindMacros[k] {
		if m == macro {
			return true
		}
	}
	return false
}

// citeFuncs are the model's functions that take a kernel file and line,
// by name (a method's or function's own name, whatever its receiver or
// package), and the check each reports.
var citeFuncs = map[string]kind{
	"bug": kindBug, "Bug": kindBug, "BugOn": kindBug, "VMBugOn": kindBug, "radixTreeBug": kindBug,
	"vmBugOnPage": kindBugPage, "vmBugOnPageReport": kindBugPage,
	"warnOn": kindWarn, "WarnOn": kindWarn, "WarnOnf": kindWarn, "Warn": kindWarn, "Warnf": kindWarn,
	"warnOnOnce": kindWarnOnce, "WarnOnOnce": kindWarnOnce, "WarnOncef": kindWarnOnce, "WarnOnce": kindWarnOnce,
}

const kernelDirs = `(?:mm|fs|include|kernel|block|lib|arch|drivers|init|ipc|security|net|crypto|virt)`

var (
	pathRE = regexp.MustCompile(`^` + kernelDirs + `/[A-Za-z0-9_./-]+\.[ch]$`)
	citeRE = regexp.MustCompile(`(?:^|[^A-Za-z0-9_./-])(` + kernelDirs + `/[A-Za-z0-9_./-]+\.[ch]):([0-9]+)`)
)

// modelOnlyMark, in a comment on a citing call's line or the line above
// it, says that the model reports a BUG where v3.16 has no check (a state
// the model cannot continue from): the call is listed, not checked.
const modelOnlyMark = "model-only check"

type checker struct {
	root, tree string
	fset       *token.FileSet
	res        Result
	cache      map[string][]check // nil slice value: file missing
	pathConsts map[string]bool    // names of kernel path constants, in any package
	loaded     map[string]bool
}

// Run checks the Go sources under root against the kernel tree.
func Run(root, tree string) (*Result, error) {
	st, err := os.Stat(tree)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", tree)
	}
	c := &checker{root: root, tree: tree, fset: token.NewFileSet(), cache: map[string][]check{}, loaded: map[string]bool{}}
	dirs := map[string][]string{}
	var order []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") {
			dir := filepath.Dir(path)
			if dirs[dir] == nil {
				order = append(order, dir)
			}
			dirs[dir] = append(dirs[dir], path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	pkgs := make([][]*ast.File, len(order))
	for i, dir := range order {
		for _, p := range dirs[dir] {
			f, err := parser.ParseFile(c.fset, p, nil, parser.ParseComments)
			if err != nil {
				return nil, err
			}
			pkgs[i] = append(pkgs[i], f)
		}
	}
	// Every package's kernel path constants, by name: another package can
	// only name them as pkg.Name, which the checker does not follow.
	c.pathConsts = map[string]bool{}
	for _, files := range pkgs {
		strs, _, _ := consts(files)
		for name := range strs {
			c.pathConsts[name] = true
		}
	}
	for _, files := range pkgs {
		c.checkPackage(files)
	}
	sort.Strings(c.res.Unchecked)
	return &c.res, nil
}

// consts returns a package's top-level kernel path and integer constants
// (and vars) by name, and the positions of the path constants' names and
// values.
func consts(files []*ast.File) (strs map[string]string, ints map[string]int, decls map[token.Pos]bool) {
	strs, ints, decls = map[string]string{}, map[string]int{}, map[token.Pos]bool{}
	for _, f := range files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || (g.Tok != token.CONST && g.Tok != token.VAR) {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok {
						continue
					}
					switch lit.Kind {
					case token.STRING:
						if s, err := strconv.Unquote(lit.Value); err == nil && pathRE.MatchString(s) {
							strs[name.Name] = s
							decls[name.Pos()] = true
							decls[lit.Pos()] = true
						}
					case token.INT:
						if n, err := strconv.Atoi(lit.Value); err == nil {
							ints[name.Name] = n
						}
					}
				}
			}
		}
	}
	return strs, ints, decls
}

// checkPackage checks the files of one directory, which share constants.
func (c *checker) checkPackage(files []*ast.File) {
	strs, ints, decls := consts(files)
	cited := map[string]bool{} // path constants a classified call took
	pathOf := func(e ast.Expr) (string, bool) {
		switch e := e.(type) {
		case *ast.BasicLit:
			if e.Kind == token.STRING {
				s, err := strconv.Unquote(e.Value)
				if err == nil && pathRE.MatchString(s) {
					return s, true
				}
			}
		case *ast.Ident:
			if s, ok := strs[e.Name]; ok && !decls[e.Pos()] {
				return s, true
			}
		}
		return "", false
	}
	for _, f := range files {
		// Lines that hold, or follow, a "model-only check" comment.
		modelOnly := map[int]bool{}
		for _, cg := range f.Comments {
			if strings.Contains(cg.Text(), modelOnlyMark) {
				l := c.fset.Position(cg.End()).Line
				modelOnly[l], modelOnly[l+1] = true, true
			}
		}
		used := map[token.Pos]bool{} // path expressions a classified call took
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			for i, a := range call.Args {
				file, ok := pathOf(a)
				if !ok {
					continue
				}
				used[a.Pos()] = true
				if id, ok := a.(*ast.Ident); ok {
					cited[id.Name] = true
				}
				if modelOnly[c.fset.Position(a.Pos()).Line] {
					site := file
					if i+1 < len(call.Args) {
						if l, ok := call.Args[i+1].(*ast.BasicLit); ok {
							site += ":" + l.Value
						}
					}
					c.res.ModelOnly = append(c.res.ModelOnly, c.where(a.Pos())+": "+site)
					continue
				}
				c.checkCall(call, i, file, ints)
			}
			return true
		})
		// Path expressions no classified call took.
		ast.Inspect(f, func(n ast.Node) bool {
			e, ok := n.(ast.Expr)
			if !ok || used[e.Pos()] || decls[e.Pos()] {
				return true
			}
			if file, ok := pathOf(e); ok {
				c.problem(e.Pos(), "", "cannot classify the kernel path %q here (not an argument of a call)", file)
			}
			if sel, ok := e.(*ast.SelectorExpr); ok && c.pathConsts[sel.Sel.Name] {
				c.problem(e.Pos(), "", "cannot follow %s, a kernel path constant of another package: cite with the path", sel.Sel.Name)
			}
			return true
		})
		// file:line in comments and string literals.
		for _, cg := range f.Comments {
			for _, cm := range cg.List {
				c.checkText(cm.Pos(), cm.Text)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				c.checkText(lit.Pos(), lit.Value)
			}
			return true
		})
	}
	var unused []string
	for name := range strs {
		if !cited[name] {
			unused = append(unused, name)
		}
	}
	sort.Strings(unused)
	for _, name := range unused {
		c.problem(c.declPos(files, name), "", "kernel path constant %s is cited by no call the checker understands", name)
	}
}

// declPos is where files declare name.
func (c *checker) declPos(files []*ast.File, name string) token.Pos {
	for _, f := range files {
		if o := f.Scope.Lookup(name); o != nil {
			return o.Pos()
		}
	}
	return token.NoPos
}

// checkCall checks call, whose argument i is the kernel file.
func (c *checker) checkCall(call *ast.CallExpr, i int, file string, ints map[string]int) {
	var name string
	switch fn := call.Fun.(type) {
	case *ast.Ident:
		name = fn.Name
	case *ast.SelectorExpr:
		name = fn.Sel.Name
	}
	pos := call.Args[i].Pos()
	k, ok := citeFuncs[name]
	if !ok {
		c.problem(pos, file, "cannot classify the call %s(...) that takes a kernel path: teach checkcitations its check", name)
		return
	}
	line, ok := -1, false
	if i+1 < len(call.Args) {
		switch a := call.Args[i+1].(type) {
		case *ast.BasicLit:
			if a.Kind == token.INT {
				if n, err := strconv.Atoi(a.Value); err == nil {
					line, ok = n, true
				}
			}
		case *ast.Ident:
			line, ok = ints[a.Name]
		}
	}
	if !ok {
		c.problem(pos, file, "%s(...): the argument after the kernel path is not a constant line number", name)
		return
	}
	cond, hasCond := "", false
	if k == kindBugPage {
		if i == 0 {
			c.problem(pos, file, "%s(...): no condition text before the kernel path", name)
			return
		}
		lit, ok := call.Args[i-1].(*ast.BasicLit)
		if ok && lit.Kind == token.STRING {
			cond, _ = strconv.Unquote(lit.Value)
			hasCond = true
		}
		if !hasCond {
			c.problem(pos, file, "%s(...): the condition text is not a string literal", name)
			return
		}
	}
	c.checkSite(pos, file, line, k, cond, hasCond)
}

// checkText checks the file:line citations in a comment or string literal.
func (c *checker) checkText(pos token.Pos, text string) {
	for _, m := range citeRE.FindAllStringSubmatch(text, -1) {
		line, err := strconv.Atoi(m[2])
		if err != nil {
			continue
		}
		c.checkSite(pos, m[1], line, kindAny, "", false)
	}
}

// checks returns the checks in the tree's file, and whether it exists.
func (c *checker) checks(file string) ([]check, bool) {
	if !c.loaded[file] {
		c.loaded[file] = true
		src, err := os.ReadFile(filepath.Join(c.tree, filepath.FromSlash(file)))
		if err == nil {
			c.cache[file] = findChecks(string(src))
			if c.cache[file] == nil {
				c.cache[file] = []check{}
			}
		}
	}
	cs, ok := c.cache[file]
	return cs, ok
}

func (c *checker) checkSite(pos token.Pos, file string, line int, k kind, cond string, hasCond bool) {
	c.res.Checked++
	all, ok := c.checks(file)
	if !ok {
		c.res.Unchecked = append(c.res.Unchecked, fmt.Sprintf("%s: %s:%d", c.where(pos), file, line))
		return
	}
	var here []check
	for _, ch := range all {
		if ch.EndLine == line {
			here = append(here, ch)
		}
	}
	var kindHere []check
	for _, ch := range here {
		if k.accepts(ch.Macro) {
			kindHere = append(kindHere, ch)
		}
	}
	if len(kindHere) > 0 && !hasCond {
		return
	}
	for _, ch := range kindHere {
		if ch.Cond == cond {
			return
		}
	}
	site := fmt.Sprintf("%s:%d", file, line)
	var msg string
	switch {
	case len(kindHere) > 0:
		msg = fmt.Sprintf("%s(%s) here, not %q", kindHere[0].Macro, kindHere[0].Cond, cond)
	case len(here) > 0:
		msg = fmt.Sprintf("%s(%s) here, not a %s", here[0].Macro, here[0].Cond, k)
	default:
		msg = fmt.Sprintf("no %s ends on this line", k)
		for _, ch := range all {
			if ch.StartLine <= line && line < ch.EndLine {
				msg += fmt.Sprintf(" (%s(%s) spans %d-%d: its __LINE__ is %d)", ch.Macro, ch.Cond, ch.StartLine, ch.EndLine, ch.EndLine)
			}
		}
	}
	// The nearest checks of the right kind (and condition), as hints.
	var near []check
	for _, ch := range all {
		if k.accepts(ch.Macro) && (!hasCond || ch.Cond == cond) {
			near = append(near, ch)
		}
	}
	sort.SliceStable(near, func(a, b int) bool { return abs(near[a].EndLine-line) < abs(near[b].EndLine-line) })
	if len(near) > 3 {
		near = near[:3]
	}
	if len(near) > 0 {
		var hs []string
		for _, ch := range near {
			hs = append(hs, fmt.Sprintf("%s(%s) at %d", ch.Macro, ch.Cond, ch.EndLine))
		}
		msg += "; nearest: " + strings.Join(hs, ", ")
	}
	c.problem(pos, site, "%s", msg)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func (c *checker) where(pos token.Pos) string {
	p := c.fset.Position(pos)
	name := p.Filename
	if rel, err := filepath.Rel(c.root, name); err == nil {
		name = filepath.ToSlash(rel)
	}
	return fmt.Sprintf("%s:%d", name, p.Line)
}

func (c *checker) problem(pos token.Pos, site, format string, args ...any) {
	s := c.where(pos) + ": "
	if site != "" {
		s += site + ": "
	}
	c.res.Problems = append(c.res.Problems, s+fmt.Sprintf(format, args...))
}
