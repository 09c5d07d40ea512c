package netadaptv2

import "github.com/nnergy/nnergy/internal/enum"

// Method is a network-adaptation search: NetAdapt (package netadapt) or
// NetAdaptV2 (this package).
type Method uint8

// The methods.
const (
	NetAdapt Method = iota
	NetAdaptV2
)

var methodNames = enum.New[Method]("netadaptv2", "method", "netadapt", "netadaptv2")

func (m Method) String() string { return methodNames.String(m) }

// ParseMethods reads a comma-separated list of distinct methods
// (netadapt, netadaptv2), in order.
func ParseMethods(s string) ([]Method, error) { return methodNames.ParseSet(s) }

// ParseMethod reads one method: netadapt or netadaptv2.
func ParseMethod(s string) (Method, error) { return methodNames.Parse(s) }
