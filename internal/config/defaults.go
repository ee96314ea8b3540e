package config

// The defaults of the file. They are applied by applyDefaults only, and
// the schema test checks that config/schema.json documents the same ones.
const (
	defaultTimezone         = "UTC"
	defaultScheduleStacks   = 1
	defaultLogRetentionDays = 90
	defaultWaitSeconds      = 5
	defaultConcurrency      = 5
	defaultMaxDelayMinutes  = 60
	defaultHistoryDays      = 90
	// A tenth of Qlik's read limit, leaving the rest to the reload
	// function.
	defaultWatchReadsPerMinute = 100
	defaultMaxRunHours         = 12
	// A flexible window of 0 is OFF, and a reserved concurrency of 0
	// leaves it unset: both are the zero value.
	defaultFlexibleWindowMinutes = 0
	defaultReservedConcurrency   = 0
	defaultEnabled               = true
)

// applyDefaults turns what the file sets into a Config. It is the one place
// where defaults are applied: a setting the file leaves out, or sets to an
// invalid value that Load reports, takes its default here, and a row
// inherits the file's time zone and flexible window unless it sets its own.
func applyDefaults(name, path string, f *rawConfig) *Config {
	cfg := &Config{
		Name:                  name,
		Path:                  path,
		TenantURL:             or(f.tenantURL, ""),
		Account:               or(f.account, ""),
		Region:                or(f.region, ""),
		Timezone:              or(f.timezone, defaultTimezone),
		AlarmEmail:            or(f.alarmEmail, ""),
		FlexibleWindowMinutes: or(f.flexibleWindowMinutes, defaultFlexibleWindowMinutes),
		ReservedConcurrency:   or(f.reservedConcurrency, defaultReservedConcurrency),
		WaitSeconds:           or(f.waitSeconds, defaultWaitSeconds),
		Concurrency:           or(f.concurrency, defaultConcurrency),
		MaxDelayMinutes:       or(f.maxDelayMinutes, defaultMaxDelayMinutes),
		HistoryDays:           or(f.historyDays, defaultHistoryDays),
		WatchReadsPerMinute:   or(f.watchReadsPerMinute, defaultWatchReadsPerMinute),
		MaxRunHours:           or(f.maxRunHours, defaultMaxRunHours),
		ScheduleStacks:        or(f.scheduleStacks, defaultScheduleStacks),
		LogRetentionDays:      or(f.logRetentionDays, defaultLogRetentionDays),
		ExistingSecretArn:     or(f.existingSecretArn, ""),
		KMSKeyArn:             or(f.kmsKeyArn, ""),
		VPC:                   or(f.vpc, nil),
		Reloads:               make([]Reload, 0, len(f.reloads.value)),
	}
	// Without a high-water mark, the stacks deployed are the stacks set.
	cfg.ScheduleStacksHighWater = max(or(f.scheduleStacksHighWater, cfg.ScheduleStacks), cfg.ScheduleStacks)
	for _, r := range f.reloads.value {
		row := Reload{
			Name:                  or(r.name, ""),
			AppID:                 or(r.appID, ""),
			Schedule:              or(r.schedule, ""),
			Timezone:              or(r.timezone, cfg.Timezone),
			Enabled:               or(r.enabled, defaultEnabled),
			Description:           or(r.description, ""),
			FlexibleWindowMinutes: or(r.flexibleWindowMinutes, cfg.FlexibleWindowMinutes),
			Weight:                or(r.weight, 0),
			MaxDelayMinutes:       or(r.maxDelayMinutes, 0),
			Line:                  r.line,
		}
		if r.schedule.line == 0 {
			// Only a schedule has a flexible window.
			row.FlexibleWindowMinutes = 0
		}
		for _, up := range r.after.value {
			row.After = append(row.After, up.name)
		}
		if r.on.ok {
			on := r.on.value
			row.On = &on
			row.DebounceMinutes = or(r.debounceMinutes, defaultDebounceMinutes)
		}
		if r.partial.ok {
			partial := r.partial.value
			row.Partial = &partial
		}
		// An empty mapping sets nothing, so it is left out like a missing
		// one.
		if r.variables.ok && len(r.variables.value) > 0 {
			row.Variables = r.variables.value
		}
		cfg.Reloads = append(cfg.Reloads, row)
	}
	return cfg
}

// or returns the setting's value when the file sets it validly, else def.
func or[T any](s setting[T], def T) T {
	if s.ok {
		return s.value
	}
	return def
}
