// Package config reads claimflow's configuration: one YAML file plus CLAIMFLOW_*
// environment variables over it, every option checked, secrets kept out of
// output.
//
// Every option is a row in a table (options.go) with its YAML key, its variable,
// its default, a description, its check, and whether it is a secret. Secrets
// (database.url, nats.password) may also come from a file: KEY_file in YAML or
// VAR_FILE in the environment; nats.password is never written in the YAML file
// itself, and neither is a database URL holding a password. Clearinghouses are
// keys under clearinghouses:, each with its cron schedules (submit, poll, post)
// and acknowledgement alarm delays; CLAIMFLOW_CLEARINGHOUSE_<NAME>_<OPTION>
// overrides one declared in the file.
//
//	cfg, err := config.Load(path, os.Environ())
//	if err != nil {
//		fmt.Fprintln(os.Stderr, err) // one line per bad field: "nats.urls (CLAIMFLOW_NATS_URLS): ..."
//		os.Exit(1)
//	}
//	cfg.Dump(os.Stdout) // YAML, secrets shown as (set) or (not set)
//
// A file:
//
//	data_dir: /var/lib/claimflow
//	log: {level: info, format: json}
//	database:
//	  url_file: /run/secrets/database-url
//	nats:
//	  embedded: false
//	  urls: [tls://nats1:4222, tls://nats2:4222, tls://nats3:4222]
//	  creds_file: /etc/claimflow/nats.creds
//	  tls: {ca_file: /etc/claimflow/nats-ca.pem}
//	  replicas: 3
//	http: {listen: "0.0.0.0:8080"}
//	clearinghouses:
//	  availity:
//	    schedule: {submit: "30 22 * * mon-fri", poll: "*/10 * * * *", post: "0 2 * * *"}
//	    alarms: {ack_999_within: 4h, ack_277ca_within: 2d}
//	  office-ally:
//	    profile: officeally
//
// ParseCron reads the five-field cron expressions the schedules use; Cron.Next
// says when one fires next.
package config
