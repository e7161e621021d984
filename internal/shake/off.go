//go:build !weftshake

package shake

// Enabled reports whether this build perturbs the schedule (built with
// -tags weftshake).
const Enabled = false

// Point is a synchronisation point reached with no weft lock held. Without
// the weftshake build tag it is empty and inlined away.
func Point(Site) {}

// Locked is a synchronisation point reached with a weft lock held. Without
// the weftshake build tag it is empty and inlined away.
func Locked(Site) {}
