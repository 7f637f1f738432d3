// SPDX-License-Identifier: GPL-2.0-only

package fuzz

import "pagesim/prog"

// Minimize shrinks a program while still(p) holds, so that a reproducer
// is as short as the bug allows. It drops calls in runs, from the end
// (later calls tend to depend on earlier ones, so they go first): first
// runs of half the program, then of a quarter, and so on down to single
// calls, keeping each run whose removal loses the property (delta
// debugging: a long program with a few calls that matter shrinks in a
// few dozen runs, not one per call). Then it halves size arguments while
// the property holds. p is not changed; every candidate passed to still
// validates.
func Minimize(p *prog.Program, still func(*prog.Program) bool) *prog.Program {
	cur := p.Clone()
	for chunk := max(len(cur.Calls)/2, 1); ; chunk /= 2 {
		for end := len(cur.Calls); end > 0; end -= chunk {
			if end > len(cur.Calls) {
				end = len(cur.Calls)
			}
			start := max(end-chunk, 0)
			q := cur.Clone()
			ok := true
			for i := end - 1; i >= start && ok; i-- {
				ok = removeCall(q, i)
			}
			if !ok || len(q.Calls) == len(cur.Calls) || prog.Validate(q) != nil {
				continue
			}
			if still(q) {
				cur = q
			}
		}
		if chunk == 1 {
			break
		}
	}
	for i := range cur.Calls {
		sig := prog.LookupSyscall(cur.Calls[i].Name)
		for j := range cur.Calls[i].Args {
			if k := sig.Params[j].Kind; k != prog.KindSize && k != prog.KindDuration {
				continue
			}
			for n := 0; n < 64; n++ {
				a := cur.Calls[i].Args[j]
				if a.Kind != prog.ArgNum || a.Val == 0 || a.Val == sig.Params[j].Default {
					break
				}
				q := cur.Clone()
				q.Calls[i].Args[j].Val = a.Val / 2
				if prog.Validate(q) != nil || !still(q) {
					break
				}
				cur = q
			}
		}
	}
	return cur
}
