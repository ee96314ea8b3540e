package config

import (
	"fmt"
	"slices"

	"github.com/qlik-reload-triggers/qlik-reload-triggers/internal/suggest"
)

// knownRegions are the AWS region codes a stack can deploy to, so that a
// typo such as eu-centrl-1 fails at synth instead of at deploy.
//
// To update the list when AWS opens a region, add its code here in
// alphabetical order; `aws account list-regions --query
// 'Regions[].RegionName'` (commercial partition) or the region table of the
// AWS General Reference gives the codes. The GovCloud and China regions are
// listed too, since their partitions are accepted in ARNs.
var knownRegions = []string{
	"af-south-1",
	"ap-east-1", "ap-east-2",
	"ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ap-south-1", "ap-south-2",
	"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
	"ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
	"ca-central-1", "ca-west-1",
	"cn-north-1", "cn-northwest-1",
	"eu-central-1", "eu-central-2",
	"eu-north-1",
	"eu-south-1", "eu-south-2",
	"eu-west-1", "eu-west-2", "eu-west-3",
	"il-central-1",
	"me-central-1", "me-south-1",
	"mx-central-1",
	"sa-east-1",
	"us-east-1", "us-east-2",
	"us-gov-east-1", "us-gov-west-1",
	"us-west-1", "us-west-2",
}

// knownRegion accepts a region code that AWS has, suggesting the nearest
// known one for a typo.
func knownRegion(s string) (string, string) {
	if slices.Contains(knownRegions, s) {
		return s, ""
	}
	if near := suggest.Nearest(s, knownRegions); near != "" {
		return s, fmt.Sprintf("%q is not an AWS region; did you mean %s?", s, near)
	}
	if _, problem := region(s); problem != "" {
		return s, problem
	}
	return s, fmt.Sprintf("%q is not an AWS region this project knows; use one such as eu-west-1, or, for a region newer than this release, add it to the list in internal/config/regions.go", s)
}
