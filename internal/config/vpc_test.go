package config

import "testing"

// TestLogRetentionNever: never keeps the logs for good, as AWS Control
// Tower's CT.CLOUDWATCH.PR.2 accepts; other text is refused.
func TestLogRetentionNever(t *testing.T) {
	tests := []struct {
		name, value string
		want        int
		problem     string
	}{
		{name: "never", value: "never", want: LogRetentionNever},
		{name: "a year", value: "365", want: 365},
		{name: "ten years", value: "3653", want: 3653},
		{name: "other text", value: "forever", problem: `config/logs.yaml:2: logRetentionDays: expected a number of days or never, got "forever"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load("config/logs.yaml", []byte("tenantUrl: https://acme.eu.qlikcloud.com\nlogRetentionDays: "+tt.value+"\nreloads: []\n"))
			if tt.problem != "" {
				if err == nil || err.Error() != tt.problem {
					t.Errorf("Load error = %v, want %s", err, tt.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.LogRetentionDays != tt.want {
				t.Errorf("LogRetentionDays = %d, want %d", cfg.LogRetentionDays, tt.want)
			}
		})
	}
}
