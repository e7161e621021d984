package main

import "fmt"

// Alert is a rule that fired on a bar.
type Alert struct {
	Kind string // "price" or "volume"
	Bar  Bar
	By   float64 // the move in percent, or the volume as a multiple of the average
}

func (a Alert) String() string {
	b := a.Bar
	switch a.Kind {
	case "price":
		return fmt.Sprintf("%-5s price %+.1f%% in the window at %v: %.2f → %.2f (VWAP %.2f, range %.2f–%.2f, MA %.2f)",
			b.Sym, a.By, b.Start, b.PrevClose, b.Close, b.VWAP, b.Low, b.High, b.MA)
	default:
		return fmt.Sprintf("%-5s volume %d = %.1fx the average in the window at %v (VWAP %.2f)",
			b.Sym, b.Volume, a.By, b.Start, b.VWAP)
	}
}

// rules are the alert thresholds.
type rules struct {
	movePct float64 // alert when a close is this many percent from the previous close
	spike   float64 // alert when a bar's volume is this many times the average
}

// check returns the alerts that b fires. It is a pure function of the bar.
func (r rules) check(b *Bar) []Alert {
	var as []Alert
	if b.PrevClose > 0 {
		if move := 100 * (b.Close/b.PrevClose - 1); move >= r.movePct || move <= -r.movePct {
			as = append(as, Alert{Kind: "price", Bar: *b, By: move})
		}
	}
	if b.AvgVolume > 0 {
		if x := float64(b.Volume) / b.AvgVolume; x >= r.spike {
			as = append(as, Alert{Kind: "volume", Bar: *b, By: x})
		}
	}
	return as
}
