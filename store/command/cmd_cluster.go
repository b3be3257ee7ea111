package command

// CLUSTER, READONLY, READWRITE and ASKING: DiskDB runs as a standalone
// server, and answers them as redis-server 7.0.15 does with cluster-enabled
// no: every subcommand (KEYSLOT and HELP included) replies that cluster
// support is disabled, after the dispatcher's unknown-subcommand and arity
// checks. Cluster-aware client libraries send them while they discover the
// topology; they must get this error, never a closed connection.

const errClusterDisabled = "ERR This instance has cluster support disabled"

func cmdClusterDisabled(c *Ctx) { c.Err(errClusterDisabled) }

func init() {
	const st = FlagStale | ExecInline
	const adm = FlagAdmin | st
	const admNAL = adm | FlagNoAsyncLoading
	subs := []struct {
		name    string
		arity   int
		flags   Flag
		summary string
		since   string
	}{
		{"addslots", -3, admNAL, "Assign new hash slots to receiving node", "3.0.0"},
		{"addslotsrange", -4, admNAL, "Assign new hash slots to receiving node", "7.0.0"},
		{"bumpepoch", 2, admNAL, "Advance the cluster config epoch", "3.0.0"},
		{"count-failure-reports", 3, adm, "Return the number of failure reports active for a given node", "3.0.0"},
		{"countkeysinslot", 3, st, "Return the number of local keys in the specified hash slot", "3.0.0"},
		{"delslots", -3, admNAL, "Set hash slots as unbound in receiving node", "3.0.0"},
		{"delslotsrange", -4, admNAL, "Set hash slots as unbound in receiving node", "7.0.0"},
		{"failover", -2, admNAL, "Forces a replica to perform a manual failover of its master.", "3.0.0"},
		{"flushslots", 2, admNAL, "Delete a node's own slots information", "3.0.0"},
		{"forget", 3, admNAL, "Remove a node from the nodes table", "3.0.0"},
		{"getkeysinslot", 4, st, "Return local key names in the specified hash slot", "3.0.0"},
		{"help", 2, FlagLoading | st, "Show helpful text about the different subcommands", "5.0.0"},
		{"info", 2, st, "Provides info about Redis Cluster node state", "3.0.0"},
		{"keyslot", 3, st, "Returns the hash slot of the specified key", "3.0.0"},
		{"links", 2, st, "Returns a list of all TCP links to and from peer nodes in cluster", "7.0.0"},
		{"meet", -4, admNAL, "Force a node cluster to handshake with another node", "3.0.0"},
		{"myid", 2, st, "Return the node id", "3.0.0"},
		{"nodes", 2, st, "Get Cluster config for the node", "3.0.0"},
		{"replicas", 3, adm, "List replica nodes of the specified master node", "5.0.0"},
		{"replicate", 3, admNAL, "Reconfigure a node as a replica of the specified master node", "3.0.0"},
		{"reset", -2, adm | FlagNoScript, "Reset a Redis Cluster node", "3.0.0"},
		{"saveconfig", 2, admNAL, "Forces the node to save cluster state on disk", "3.0.0"},
		{"set-config-epoch", 3, admNAL, "Set the configuration epoch in a new node", "3.0.0"},
		{"setslot", -4, admNAL, "Bind a hash slot to a specific node", "3.0.0"},
		{"shards", 2, st, "Get array of cluster slots to node mappings", "7.0.0"},
		{"slaves", 3, adm, "List replica nodes of the specified master node", "3.0.0"},
		{"slots", 2, st, "Get array of Cluster slot to node mappings", "3.0.0"},
	}
	specs := []*Spec{{Name: "cluster", Arity: -2, Group: "cluster", Summary: "A container for cluster commands", Since: "3.0.0"}}
	for _, s := range subs {
		specs = append(specs, &Spec{Name: "cluster|" + s.name, Arity: s.arity, Flags: s.flags, Handler: cmdClusterDisabled,
			Group: "cluster", Summary: s.summary, Since: s.since})
	}
	specs = append(specs,
		&Spec{Name: "readonly", Arity: 1, Flags: FlagLoading | FlagStale | FlagFast | ExecInline, Handler: cmdClusterDisabled, Group: "cluster", ACL: []string{"connection"}, Summary: "Enables read queries for a connection to a cluster replica node", Since: "3.0.0"},
		&Spec{Name: "readwrite", Arity: 1, Flags: FlagLoading | FlagStale | FlagFast | ExecInline, Handler: cmdClusterDisabled, Group: "cluster", ACL: []string{"connection"}, Summary: "Disables read queries for a connection to a cluster replica node", Since: "3.0.0"},
		&Spec{Name: "asking", Arity: 1, Flags: FlagFast | ExecInline, Handler: cmdClusterDisabled, Group: "cluster", ACL: []string{"connection"}, Summary: "Sent by cluster clients after an -ASK redirect", Since: "3.0.0"},
	)
	register(specs...)
	for _, n := range []string{"count-failure-reports", "getkeysinslot", "info", "links", "nodes", "replicas", "shards", "slaves", "slots", "bumpepoch"} {
		commandTips["cluster|"+n] = []string{"nondeterministic_output"}
	}
}
