// SPDX-License-Identifier: GPL-2.0-only

package fuzz

import "pagesim/prog"

// Minimize shrinks a program while still(p) holds, so that a reproducer
// is as short as the bug allows: it drops calls one at a time, from the
// end (later calls tend to depend on earlier ones, so they go first),
// keeping each call whose removal loses the property; then it halves
// size arguments while the property holds. p is not changed; every
// candidate passed to still validates.
func Minimize(p *prog.Program, still func(*prog.Program) bool) *prog.Program {
	cur := p.Clone()
	for i := len(cur.Calls) - 1; i >= 0; i-- {
		if i >= len(cur.Calls) {
			continue
		}
		q := cur.Clone()
		if !removeCall(q, i) || prog.Validate(q) != nil {
			continue
		}
		if still(q) {
			cur = q
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
