package config

import (
	"fmt"
	"regexp"

	"github.com/goccy/go-yaml/ast"
)

// VPC places the functions in the subnets of a VPC, for accounts whose
// controls require it (AWS Control Tower's CT.LAMBDA.PR.3) and for tenants
// that accept only known IP addresses, reached through the VPC's NAT.
type VPC struct {
	// SubnetIDs are the subnets the functions' network interfaces are
	// placed in, such as subnet-0123456789abcdef0.
	SubnetIDs []string
	// SecurityGroupIDs are the security groups of those interfaces; they
	// must allow HTTPS out to the tenant and to the AWS service endpoints.
	SecurityGroupIDs []string
}

// Lambda's limits on a function's VPC configuration.
const (
	maxSubnets        = 16
	maxSecurityGroups = 5
)

var (
	subnetID        = regexp.MustCompile(`^subnet-[0-9a-f]{8}(?:[0-9a-f]{9})?$`)
	securityGroupID = regexp.MustCompile(`^sg-[0-9a-f]{8}(?:[0-9a-f]{9})?$`)
)

// rawVPC is what the vpc mapping sets.
type rawVPC struct {
	subnetIDs, securityGroupIDs setting[[]string]
}

// vpcRules are the keys of the vpc mapping.
var vpcRules = []fieldRule[rawVPC]{
	{"subnetIds", func(d *decoder, v value, r *rawVPC) {
		r.subnetIDs = d.ids(v, subnetID, "subnet-0123456789abcdef0", maxSubnets)
	}},
	{"securityGroupIds", func(d *decoder, v value, r *rawVPC) {
		r.securityGroupIDs = d.ids(v, securityGroupID, "sg-0123456789abcdef0", maxSecurityGroups)
	}},
}

// vpc decodes the vpc mapping; both lists are required.
func (d *decoder) vpc(v value) setting[*VPC] {
	s := setting[*VPC]{line: v.line}
	var r rawVPC
	before := len(d.problems)
	if !decodeMapping(d, v.node, v.field, vpcRules, nil, &r) {
		d.wrongType(v, "a mapping with subnetIds and securityGroupIds")
		return s
	}
	if r.subnetIDs.line == 0 {
		d.add(v.line, v.field+".subnetIds", "missing; list the subnets the functions run in, such as [subnet-0123456789abcdef0]")
	}
	if r.securityGroupIDs.line == 0 {
		d.add(v.line, v.field+".securityGroupIds", "missing; list the security groups of the functions, such as [sg-0123456789abcdef0]")
	}
	if len(d.problems) == before {
		s.value, s.ok = &VPC{SubnetIDs: r.subnetIDs.value, SecurityGroupIDs: r.securityGroupIDs.value}, true
	}
	return s
}

// ids decodes a non-empty list of at most limit distinct resource IDs that
// match pattern.
func (d *decoder) ids(v value, pattern *regexp.Regexp, example string, limit int) setting[[]string] {
	s := setting[[]string]{line: v.line}
	seq, ok := v.node.(*ast.SequenceNode)
	if !ok {
		d.wrongType(v, fmt.Sprintf("a list of IDs, such as [%s]", example))
		return s
	}
	before := len(d.problems)
	switch n := len(seq.Values); {
	case n == 0:
		d.add(v.line, v.field, "empty; list at least one, such as [%s]", example)
	case n > limit:
		d.add(v.line, v.field, "%d IDs is too many; Lambda takes at most %d", n, limit)
	}
	seen := map[string]bool{}
	for i, item := range seq.Values {
		iv := value{field: fmt.Sprintf("%s[%d]", v.field, i), line: line(item), node: item}
		id := check(d, iv, d.text(iv), func(id string) (string, string) {
			if !pattern.MatchString(id) {
				return id, fmt.Sprintf("%q is not an ID such as %s", id, example)
			}
			return id, ""
		})
		if !id.ok {
			continue
		}
		if seen[id.value] {
			d.add(iv.line, iv.field, "%s is listed twice; keep one", id.value)
			continue
		}
		seen[id.value] = true
		s.value = append(s.value, id.value)
	}
	s.ok = len(d.problems) == before
	return s
}
