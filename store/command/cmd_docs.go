package command

import "strings"

// Argument documentation for COMMAND DOCS, from which redis-cli 7 builds
// its command-line hints and HELP output.
//
// Each command's arguments are one line of a compact notation, in order:
//
//	item   = flags name [":" type] ["=" TOKEN] ["(" item {" " item} ")"]
//	flags  = "?" optional, "*" multiple, "+" multiple_token (any of them)
//	type   = k key | i integer | d double | p pattern | u unix-time |
//	         t pure-token | o oneof | b block   (none: string)
//
// so that SET's "key value [NX | XX] [GET] ..." reads
// `key:k value ?condition:o(nx:t=NX xx:t=XX) ?get:t=GET ...`. The lines
// describe redis-server 7.0.15's syntax; commands DiskDB does not register
// are never listed.

// argDoc is one argument of a command's syntax.
type argDoc struct {
	name, typ, token                  string
	optional, multiple, multipleToken bool
	args                              []argDoc
}

var argTypes = map[byte]string{'k': "key", 'i': "integer", 'd': "double", 'p': "pattern", 'u': "unix-time",
	't': "pure-token", 'o': "oneof", 'b': "block"}

// parseArgDocs parses a line of the notation above.
func parseArgDocs(s string) []argDoc {
	args, _ := parseArgSeq(s, 0)
	return args
}

func parseArgSeq(s string, i int) ([]argDoc, int) {
	var out []argDoc
	for i < len(s) {
		switch s[i] {
		case ' ':
			i++
			continue
		case ')':
			return out, i + 1
		}
		var a argDoc
		for ; i < len(s) && strings.IndexByte("?*+", s[i]) >= 0; i++ {
			switch s[i] {
			case '?':
				a.optional = true
			case '*':
				a.multiple = true
			case '+':
				a.multipleToken = true
			}
		}
		j := i
		for j < len(s) && strings.IndexByte(" =()", s[j]) < 0 {
			j++
		}
		a.name, a.typ = s[i:j], "string"
		if n := len(a.name); n > 2 && a.name[n-2] == ':' && argTypes[a.name[n-1]] != "" {
			a.name, a.typ = a.name[:n-2], argTypes[a.name[n-1]]
		}
		i = j
		if i < len(s) && s[i] == '=' {
			j = i + 1
			for j < len(s) && strings.IndexByte(" ()", s[j]) < 0 {
				j++
			}
			a.token, i = s[i+1:j], j
		}
		if i < len(s) && s[i] == '(' {
			a.args, i = parseArgSeq(s, i+1)
		}
		out = append(out, a)
	}
	return out, i
}

// writeArgDocs writes arguments as COMMAND DOCS does: a map per argument
// with name, type, token, flags and nested arguments.
func writeArgDocs(c *Ctx, args []argDoc) {
	c.Array(len(args))
	for _, a := range args {
		var flags []string
		if a.optional {
			flags = append(flags, "optional")
		}
		if a.multiple {
			flags = append(flags, "multiple")
		}
		if a.multipleToken {
			flags = append(flags, "multiple_token")
		}
		n := 2
		if a.token != "" {
			n++
		}
		if len(flags) > 0 {
			n++
		}
		if len(a.args) > 0 {
			n++
		}
		c.Map(n)
		c.BulkStr("name")
		c.BulkStr(a.name)
		c.BulkStr("type")
		c.BulkStr(a.typ)
		if a.token != "" {
			c.BulkStr("token")
			c.BulkStr(a.token)
		}
		if len(flags) > 0 {
			c.BulkStr("flags")
			c.Set(len(flags))
			for _, f := range flags {
				c.Status(f)
			}
		}
		if len(a.args) > 0 {
			c.BulkStr("arguments")
			writeArgDocs(c, a.args)
		}
	}
}

// argDocs holds each command's arguments in the notation above.
var argDocs = map[string]string{
	"acl|cat":                       `?categoryname`,
	"acl|deluser":                   `*username`,
	"acl|dryrun":                    `username command ?*arg`,
	"acl|genpass":                   `?bits:i`,
	"acl|getuser":                   `username`,
	"acl|log":                       `?operation:o(count:i reset:t=RESET)`,
	"acl|setuser":                   `username ?*rule`,
	"append":                        `key:k value`,
	"auth":                          `?username password`,
	"bgsave":                        `?schedule:t=SCHEDULE`,
	"bitcount":                      `key:k ?index:b(start:i end:i ?index_unit:o(byte:t=BYTE bit:t=BIT))`,
	"bitfield":                      `key:k ?*operation:o(encoding_offset:b=GET(encoding offset:i) write:b(?wrap_sat_fail:o=OVERFLOW(wrap:t=WRAP sat:t=SAT fail:t=FAIL) write_operation:o(encoding_offset_value:b=SET(encoding offset:i value:i) encoding_offset_increment:b=INCRBY(encoding offset:i increment:i))))`,
	"bitfield_ro":                   `key:k ?*+encoding_offset:b=GET(encoding offset:i)`,
	"bitop":                         `operation destkey:k *key:k`,
	"bitpos":                        `key:k bit:i ?index:b(start:i ?end_index:b(end:i ?index_unit:o(byte:t=BYTE bit:t=BIT)))`,
	"blmove":                        `source:k destination:k wherefrom:o(left:t=LEFT right:t=RIGHT) whereto:o(left:t=LEFT right:t=RIGHT) timeout:d`,
	"blmpop":                        `timeout:d numkeys:i *key:k where:o(left:t=LEFT right:t=RIGHT) ?count:i=COUNT`,
	"blpop":                         `*key:k timeout:d`,
	"brpop":                         `*key:k timeout:d`,
	"brpoplpush":                    `source:k destination:k timeout:d`,
	"bzmpop":                        `timeout:d numkeys:i *key:k where:o(min:t=MIN max:t=MAX) ?count:i=COUNT`,
	"bzpopmax":                      `*key:k timeout:d`,
	"bzpopmin":                      `*key:k timeout:d`,
	"client|caching":                `mode:o(yes:t=YES no:t=NO)`,
	"client|kill":                   `filter:o(ip:port *new-format:o(?client-id:i=ID ?normal_master_slave_pubsub:o=TYPE(normal:t=NORMAL master:t=MASTER slave:t=SLAVE replica:t=REPLICA pubsub:t=PUBSUB) ?username=USER ?ip:port=ADDR ?ip:port=LADDR ?yes/no=SKIPME))`,
	"client|list":                   `?normal_master_replica_pubsub:o=TYPE(normal:t=NORMAL master:t=MASTER replica:t=REPLICA pubsub:t=PUBSUB) ?id:b=ID(*client-id:i)`,
	"client|no-evict":               `enabled:o(on:t=ON off:t=OFF)`,
	"client|pause":                  `timeout:i ?mode:o(write:t=WRITE all:t=ALL)`,
	"client|reply":                  `on_off_skip:o(on:t=ON off:t=OFF skip:t=SKIP)`,
	"client|setname":                `connection-name`,
	"client|tracking":               `status:o(on:t=ON off:t=OFF) ?client-id:i=REDIRECT ?*+prefix=PREFIX ?bcast:t=BCAST ?optin:t=OPTIN ?optout:t=OPTOUT ?noloop:t=NOLOOP`,
	"client|unblock":                `client-id:i ?timeout_error:o(timeout:t=TIMEOUT error:t=ERROR)`,
	"cluster|addslots":              `*slot:i`,
	"cluster|addslotsrange":         `*start-slot_end-slot:b(start-slot:i end-slot:i)`,
	"cluster|count-failure-reports": `node-id`,
	"cluster|countkeysinslot":       `slot:i`,
	"cluster|delslots":              `*slot:i`,
	"cluster|delslotsrange":         `*start-slot_end-slot:b(start-slot:i end-slot:i)`,
	"cluster|failover":              `?options:o(force:t=FORCE takeover:t=TAKEOVER)`,
	"cluster|forget":                `node-id`,
	"cluster|getkeysinslot":         `slot:i count:i`,
	"cluster|keyslot":               `key`,
	"cluster|meet":                  `ip port:i ?cluster_bus_port:i`,
	"cluster|replicas":              `node-id`,
	"cluster|replicate":             `node-id`,
	"cluster|reset":                 `?hard_soft:o(hard:t=HARD soft:t=SOFT)`,
	"cluster|set-config-epoch":      `config-epoch:i`,
	"cluster|setslot":               `slot:i subcommand:o(node-id=IMPORTING node-id=MIGRATING node-id=NODE stable:t=STABLE)`,
	"cluster|slaves":                `node-id`,
	"command|docs":                  `?*command-name`,
	"command|info":                  `?*command-name`,
	"command|list":                  `?filterby:o=FILTERBY(module-name=MODULE category=ACLCAT pattern:p=PATTERN)`,
	"config|get":                    `*parameter:b(parameter)`,
	"config|set":                    `*parameter_value:b(parameter value)`,
	"copy":                          `source:k destination:k ?destination-db:i=DB ?replace:t=REPLACE`,
	"decr":                          `key:k`,
	"decrby":                        `key:k decrement:i`,
	"del":                           `*key:k`,
	"dump":                          `key:k`,
	"echo":                          `message`,
	"eval":                          `script numkeys:i ?*key:k ?*arg`,
	"eval_ro":                       `script numkeys:i ?*key:k ?*arg`,
	"evalsha":                       `sha1 numkeys:i ?*key:k ?*arg`,
	"evalsha_ro":                    `sha1 numkeys:i ?*key:k ?*arg`,
	"exists":                        `*key:k`,
	"expire":                        `key:k seconds:i ?condition:o(nx:t=NX xx:t=XX gt:t=GT lt:t=LT)`,
	"expireat":                      `key:k unix-time-seconds:u ?condition:o(nx:t=NX xx:t=XX gt:t=GT lt:t=LT)`,
	"expiretime":                    `key:k`,
	"failover":                      `?target:b=TO(host port:i ?force:t=FORCE) ?abort:t=ABORT ?milliseconds:i=TIMEOUT`,
	"fcall":                         `function numkeys:i ?*key:k ?*arg`,
	"fcall_ro":                      `function numkeys:i ?*key:k ?*arg`,
	"flushall":                      `?async:o(async:t=ASYNC sync:t=SYNC)`,
	"flushdb":                       `?async:o(async:t=ASYNC sync:t=SYNC)`,
	"function|delete":               `library-name`,
	"function|flush":                `?async:o(async:t=ASYNC sync:t=SYNC)`,
	"function|list":                 `?library-name-pattern=LIBRARYNAME ?withcode:t=WITHCODE`,
	"function|load":                 `?replace:t=REPLACE function-code`,
	"function|restore":              `serialized-value ?policy:o(flush:t=FLUSH append:t=APPEND replace:t=REPLACE)`,
	"geoadd":                        `key:k ?condition:o(nx:t=NX xx:t=XX) ?change:t=CH *longitude_latitude_member:b(longitude:d latitude:d member)`,
	"geodist":                       `key:k member1 member2 ?unit:o(m:t=M km:t=KM ft:t=FT mi:t=MI)`,
	"geohash":                       `key:k *member`,
	"geopos":                        `key:k *member`,
	"georadius":                     `key:k longitude:d latitude:d radius:d unit:o(m:t=M km:t=KM ft:t=FT mi:t=MI) ?withcoord:t=WITHCOORD ?withdist:t=WITHDIST ?withhash:t=WITHHASH ?count:b(count:i=COUNT ?any:t=ANY) ?order:o(asc:t=ASC desc:t=DESC) ?key:k=STORE ?key:k=STOREDIST`,
	"georadius_ro":                  `key:k longitude:d latitude:d radius:d unit:o(m:t=M km:t=KM ft:t=FT mi:t=MI) ?withcoord:t=WITHCOORD ?withdist:t=WITHDIST ?withhash:t=WITHHASH ?count:b(count:i=COUNT ?any:t=ANY) ?order:o(asc:t=ASC desc:t=DESC)`,
	"georadiusbymember":             `key:k member radius:d unit:o(m:t=M km:t=KM ft:t=FT mi:t=MI) ?withcoord:t=WITHCOORD ?withdist:t=WITHDIST ?withhash:t=WITHHASH ?count:b(count:i=COUNT ?any:t=ANY) ?order:o(asc:t=ASC desc:t=DESC) ?key:k=STORE ?key:k=STOREDIST`,
	"georadiusbymember_ro":          `key:k member radius:d unit:o(m:t=M km:t=KM ft:t=FT mi:t=MI) ?withcoord:t=WITHCOORD ?withdist:t=WITHDIST ?withhash:t=WITHHASH ?count:b(count:i=COUNT ?any:t=ANY) ?order:o(asc:t=ASC desc:t=DESC)`,
	"geosearch":                     `key:k from:o(member=FROMMEMBER longitude_latitude:b=FROMLONLAT(longitude:d latitude:d)) by:o(circle:b(radius:d=BYRADIUS unit:o(m:t=M km:t=KM ft:t=FT mi:t=MI)) box:b(width:d=BYBOX height:d unit:o(m:t=M km:t=KM ft:t=FT mi:t=MI))) ?order:o(asc:t=ASC desc:t=DESC) ?count:b(count:i=COUNT ?any:t=ANY) ?withcoord:t=WITHCOORD ?withdist:t=WITHDIST ?withhash:t=WITHHASH`,
	"geosearchstore":                `destination:k source:k from:o(member=FROMMEMBER longitude_latitude:b=FROMLONLAT(longitude:d latitude:d)) by:o(circle:b(radius:d=BYRADIUS unit:o(m:t=M km:t=KM ft:t=FT mi:t=MI)) box:b(width:d=BYBOX height:d unit:o(m:t=M km:t=KM ft:t=FT mi:t=MI))) ?order:o(asc:t=ASC desc:t=DESC) ?count:b(count:i=COUNT ?any:t=ANY) ?storedist:t=STOREDIST`,
	"get":                           `key:k`,
	"getbit":                        `key:k offset:i`,
	"getdel":                        `key:k`,
	"getex":                         `key:k ?expiration:o(seconds:i=EX milliseconds:i=PX unix-time-seconds:u=EXAT unix-time-milliseconds:u=PXAT persist:t=PERSIST)`,
	"getrange":                      `key:k start:i end:i`,
	"getset":                        `key:k value`,
	"hdel":                          `key:k *field`,
	"hello":                         `?arguments:b(protover:i ?username_password:b=AUTH(username password) ?clientname=SETNAME)`,
	"hexists":                       `key:k field`,
	"hget":                          `key:k field`,
	"hgetall":                       `key:k`,
	"hincrby":                       `key:k field increment:i`,
	"hincrbyfloat":                  `key:k field increment:d`,
	"hkeys":                         `key:k`,
	"hlen":                          `key:k`,
	"hmget":                         `key:k *field`,
	"hmset":                         `key:k *field_value:b(field value)`,
	"hrandfield":                    `key:k ?options:b(count:i ?withvalues:t=WITHVALUES)`,
	"hscan":                         `key:k cursor:i ?pattern:p=MATCH ?count:i=COUNT`,
	"hset":                          `key:k *field_value:b(field value)`,
	"hsetnx":                        `key:k field value`,
	"hstrlen":                       `key:k field`,
	"hvals":                         `key:k`,
	"incr":                          `key:k`,
	"incrby":                        `key:k increment:i`,
	"incrbyfloat":                   `key:k increment:d`,
	"info":                          `?*section`,
	"keys":                          `pattern:p`,
	"latency|graph":                 `event`,
	"latency|histogram":             `?*command`,
	"latency|history":               `event`,
	"latency|reset":                 `?*event`,
	"lcs":                           `key1:k key2:k ?len:t=LEN ?idx:t=IDX ?len:i=MINMATCHLEN ?withmatchlen:t=WITHMATCHLEN`,
	"lindex":                        `key:k index:i`,
	"linsert":                       `key:k where:o(before:t=BEFORE after:t=AFTER) pivot element`,
	"llen":                          `key:k`,
	"lmove":                         `source:k destination:k wherefrom:o(left:t=LEFT right:t=RIGHT) whereto:o(left:t=LEFT right:t=RIGHT)`,
	"lmpop":                         `numkeys:i *key:k where:o(left:t=LEFT right:t=RIGHT) ?count:i=COUNT`,
	"lolwut":                        `?version:i=VERSION`,
	"lpop":                          `key:k ?count:i`,
	"lpos":                          `key:k element ?rank:i=RANK ?num-matches:i=COUNT ?len:i=MAXLEN`,
	"lpush":                         `key:k *element`,
	"lpushx":                        `key:k *element`,
	"lrange":                        `key:k start:i stop:i`,
	"lrem":                          `key:k count:i element`,
	"lset":                          `key:k index:i element`,
	"ltrim":                         `key:k start:i stop:i`,
	"memory|usage":                  `key:k ?count:i=SAMPLES`,
	"mget":                          `*key:k`,
	"migrate":                       `host port:i key_or_empty_string:o(key:k empty_string:t=) destination-db:i timeout:i ?copy:t=COPY ?replace:t=REPLACE ?authentication:o(?password=AUTH ?username_password:b=AUTH2(username password)) ?*key:k=KEYS`,
	"module|load":                   `path ?*arg`,
	"module|loadex":                 `path ?*+configs:b=CONFIG(name value) ?*args:b=ARGS(arg)`,
	"module|unload":                 `name`,
	"move":                          `key:k db:i`,
	"mset":                          `*key_value:b(key:k value)`,
	"msetnx":                        `*key_value:b(key:k value)`,
	"object|encoding":               `key:k`,
	"object|freq":                   `key:k`,
	"object|idletime":               `key:k`,
	"object|refcount":               `key:k`,
	"persist":                       `key:k`,
	"pexpire":                       `key:k milliseconds:i ?condition:o(nx:t=NX xx:t=XX gt:t=GT lt:t=LT)`,
	"pexpireat":                     `key:k unix-time-milliseconds:u ?condition:o(nx:t=NX xx:t=XX gt:t=GT lt:t=LT)`,
	"pexpiretime":                   `key:k`,
	"pfadd":                         `key:k ?*element`,
	"pfcount":                       `*key:k`,
	"pfdebug":                       `subcommand key:k`,
	"pfmerge":                       `destkey:k *sourcekey:k`,
	"ping":                          `?message`,
	"psetex":                        `key:k milliseconds:i value`,
	"psubscribe":                    `*pattern:b(pattern:p)`,
	"psync":                         `replicationid offset:i`,
	"pttl":                          `key:k`,
	"publish":                       `channel message`,
	"pubsub|channels":               `?pattern:p`,
	"pubsub|numsub":                 `?*channel`,
	"pubsub|shardchannels":          `?pattern:p`,
	"pubsub|shardnumsub":            `?*shardchannel`,
	"punsubscribe":                  `?*pattern:p`,
	"rename":                        `key:k newkey:k`,
	"renamenx":                      `key:k newkey:k`,
	"replicaof":                     `args:o(host-port:b(host port:i) no-one:b(no:t=NO one:t=ONE))`,
	"restore":                       `key:k ttl:i serialized-value ?replace:t=REPLACE ?absttl:t=ABSTTL ?seconds:i=IDLETIME ?frequency:i=FREQ`,
	"restore-asking":                `key:k ttl:i serialized-value ?replace:t=REPLACE ?absttl:t=ABSTTL ?seconds:i=IDLETIME ?frequency:i=FREQ`,
	"rpop":                          `key:k ?count:i`,
	"rpoplpush":                     `source:k destination:k`,
	"rpush":                         `key:k *element`,
	"rpushx":                        `key:k *element`,
	"sadd":                          `key:k *member`,
	"scan":                          `cursor:i ?pattern:p=MATCH ?count:i=COUNT ?type=TYPE`,
	"scard":                         `key:k`,
	"script|debug":                  `mode:o(yes:t=YES sync:t=SYNC no:t=NO)`,
	"script|exists":                 `*sha1`,
	"script|flush":                  `?async:o(async:t=ASYNC sync:t=SYNC)`,
	"script|load":                   `script`,
	"sdiff":                         `*key:k`,
	"sdiffstore":                    `destination:k *key:k`,
	"select":                        `index:i`,
	"set":                           `key:k value ?condition:o(nx:t=NX xx:t=XX) ?get:t=GET ?expiration:o(seconds:i=EX milliseconds:i=PX unix-time-seconds:u=EXAT unix-time-milliseconds:u=PXAT keepttl:t=KEEPTTL)`,
	"setbit":                        `key:k offset:i value:i`,
	"setex":                         `key:k seconds:i value`,
	"setnx":                         `key:k value`,
	"setrange":                      `key:k offset:i value`,
	"shutdown":                      `?nosave_save:o(nosave:t=NOSAVE save:t=SAVE) ?now:t=NOW ?force:t=FORCE ?abort:t=ABORT`,
	"sinter":                        `*key:k`,
	"sintercard":                    `numkeys:i *key:k ?limit:i=LIMIT`,
	"sinterstore":                   `destination:k *key:k`,
	"sismember":                     `key:k member`,
	"slaveof":                       `args:o(host-port:b(host port:i) no-one:b(no:t=NO one:t=ONE))`,
	"slowlog|get":                   `?count:i`,
	"smembers":                      `key:k`,
	"smismember":                    `key:k *member`,
	"smove":                         `source:k destination:k member`,
	"sort":                          `key:k ?pattern:p=BY ?offset_count:b=LIMIT(offset:i count:i) ?*+pattern:p=GET ?order:o(asc:t=ASC desc:t=DESC) ?sorting:t=ALPHA ?destination:k=STORE`,
	"sort_ro":                       `key:k ?pattern:p=BY ?offset_count:b=LIMIT(offset:i count:i) ?*+pattern:p=GET ?order:o(asc:t=ASC desc:t=DESC) ?sorting:t=ALPHA`,
	"spop":                          `key:k ?count:i`,
	"spublish":                      `shardchannel message`,
	"srandmember":                   `key:k ?count:i`,
	"srem":                          `key:k *member`,
	"sscan":                         `key:k cursor:i ?pattern:p=MATCH ?count:i=COUNT`,
	"ssubscribe":                    `*shardchannel`,
	"strlen":                        `key:k`,
	"subscribe":                     `*channel`,
	"substr":                        `key:k start:i end:i`,
	"sunion":                        `*key:k`,
	"sunionstore":                   `destination:k *key:k`,
	"sunsubscribe":                  `?*shardchannel`,
	"swapdb":                        `index1:i index2:i`,
	"touch":                         `*key:k`,
	"ttl":                           `key:k`,
	"type":                          `key:k`,
	"unlink":                        `*key:k`,
	"unsubscribe":                   `?*channel`,
	"wait":                          `numreplicas:i timeout:i`,
	"watch":                         `*key:k`,
	"xack":                          `key:k group *id`,
	"xadd":                          `key:k ?nomkstream:t=NOMKSTREAM ?trim:b(strategy:o(maxlen:t=MAXLEN minid:t=MINID) ?operator:o(equal:t== approximately:t=~) threshold ?count:i=LIMIT) id_or_auto:o(auto_id:t=* id) *field_value:b(field value)`,
	"xautoclaim":                    `key:k group consumer min-idle-time start ?count:i=COUNT ?justid:t=JUSTID`,
	"xclaim":                        `key:k group consumer min-idle-time *id ?ms:i=IDLE ?unix-time-milliseconds:u=TIME ?count:i=RETRYCOUNT ?force:t=FORCE ?justid:t=JUSTID ?id=LASTID`,
	"xdel":                          `key:k *id`,
	"xgroup|create":                 `key:k groupname id:o(id new_id:t=$) ?mkstream:t=MKSTREAM ?entries_read:i=ENTRIESREAD`,
	"xgroup|createconsumer":         `key:k groupname consumername`,
	"xgroup|delconsumer":            `key:k groupname consumername`,
	"xgroup|destroy":                `key:k groupname`,
	"xgroup|setid":                  `key:k groupname id:o(id new_id:t=$) ?entries_read:i=ENTRIESREAD`,
	"xinfo|consumers":               `key:k groupname`,
	"xinfo|groups":                  `key:k`,
	"xinfo|stream":                  `key:k ?full:b=FULL(?count:i=COUNT)`,
	"xlen":                          `key:k`,
	"xpending":                      `key:k group ?filters:b(?min-idle-time:i=IDLE start end count:i ?consumer)`,
	"xrange":                        `key:k start end ?count:i=COUNT`,
	"xread":                         `?count:i=COUNT ?milliseconds:i=BLOCK streams:b=STREAMS(*key:k *id)`,
	"xreadgroup":                    `group_consumer:b=GROUP(group consumer) ?count:i=COUNT ?milliseconds:i=BLOCK ?noack:t=NOACK streams:b=STREAMS(*key:k *id)`,
	"xrevrange":                     `key:k end start ?count:i=COUNT`,
	"xsetid":                        `key:k last-id ?entries_added:i=ENTRIESADDED ?max_deleted_entry_id=MAXDELETEDID`,
	"xtrim":                         `key:k trim:b(strategy:o(maxlen:t=MAXLEN minid:t=MINID) ?operator:o(equal:t== approximately:t=~) threshold ?count:i=LIMIT)`,
	"zadd":                          `key:k ?condition:o(nx:t=NX xx:t=XX) ?comparison:o(gt:t=GT lt:t=LT) ?change:t=CH ?increment:t=INCR *score_member:b(score:d member)`,
	"zcard":                         `key:k`,
	"zcount":                        `key:k min:d max:d`,
	"zdiff":                         `numkeys:i *key:k ?withscores:t=WITHSCORES`,
	"zdiffstore":                    `destination:k numkeys:i *key:k`,
	"zincrby":                       `key:k increment:i member`,
	"zinter":                        `numkeys:i *key:k ?*weight:i=WEIGHTS ?aggregate:o=AGGREGATE(sum:t=SUM min:t=MIN max:t=MAX) ?withscores:t=WITHSCORES`,
	"zintercard":                    `numkeys:i *key:k ?limit:i=LIMIT`,
	"zinterstore":                   `destination:k numkeys:i *key:k ?*weight:i=WEIGHTS ?aggregate:o=AGGREGATE(sum:t=SUM min:t=MIN max:t=MAX)`,
	"zlexcount":                     `key:k min max`,
	"zmpop":                         `numkeys:i *key:k where:o(min:t=MIN max:t=MAX) ?count:i=COUNT`,
	"zmscore":                       `key:k *member`,
	"zpopmax":                       `key:k ?count:i`,
	"zpopmin":                       `key:k ?count:i`,
	"zrandmember":                   `key:k ?options:b(count:i ?withscores:t=WITHSCORES)`,
	"zrange":                        `key:k start stop ?sortby:o(byscore:t=BYSCORE bylex:t=BYLEX) ?rev:t=REV ?offset_count:b=LIMIT(offset:i count:i) ?withscores:t=WITHSCORES`,
	"zrangebylex":                   `key:k min max ?offset_count:b=LIMIT(offset:i count:i)`,
	"zrangebyscore":                 `key:k min:d max:d ?withscores:t=WITHSCORES ?offset_count:b=LIMIT(offset:i count:i)`,
	"zrangestore":                   `dst:k src:k min max ?sortby:o(byscore:t=BYSCORE bylex:t=BYLEX) ?rev:t=REV ?offset_count:b=LIMIT(offset:i count:i)`,
	"zrank":                         `key:k member`,
	"zrem":                          `key:k *member`,
	"zremrangebylex":                `key:k min max`,
	"zremrangebyrank":               `key:k start:i stop:i`,
	"zremrangebyscore":              `key:k min:d max:d`,
	"zrevrange":                     `key:k start:i stop:i ?withscores:t=WITHSCORES`,
	"zrevrangebylex":                `key:k max min ?offset_count:b=LIMIT(offset:i count:i)`,
	"zrevrangebyscore":              `key:k max:d min:d ?withscores:t=WITHSCORES ?offset_count:b=LIMIT(offset:i count:i)`,
	"zrevrank":                      `key:k member`,
	"zscan":                         `key:k cursor:i ?pattern:p=MATCH ?count:i=COUNT`,
	"zscore":                        `key:k member`,
	"zunion":                        `numkeys:i *key:k ?*weight:i=WEIGHTS ?aggregate:o=AGGREGATE(sum:t=SUM min:t=MIN max:t=MAX) ?withscores:t=WITHSCORES`,
	"zunionstore":                   `destination:k numkeys:i *key:k ?*weight:i=WEIGHTS ?aggregate:o=AGGREGATE(sum:t=SUM min:t=MIN max:t=MAX)`,
}

// parsedArgDocs is argDocs parsed once.
var parsedArgDocs = func() map[string][]argDoc {
	m := make(map[string][]argDoc, len(argDocs))
	for name, line := range argDocs {
		m[name] = parseArgDocs(line)
	}
	return m
}()

// writeDocs writes one command's COMMAND DOCS map.
func writeDocs(c *Ctx, sp *Spec) {
	subs := SortedSubs(sp)
	args := parsedArgDocs[sp.Name]
	n := 3
	if len(args) > 0 {
		n++
	}
	if len(subs) > 0 {
		n++
	}
	c.Map(n)
	c.BulkStr("summary")
	c.BulkStr(sp.Summary)
	c.BulkStr("since")
	c.BulkStr(sp.Since)
	c.BulkStr("group")
	c.BulkStr(sp.Group)
	if len(args) > 0 {
		c.BulkStr("arguments")
		writeArgDocs(c, args)
	}
	if len(subs) > 0 {
		c.BulkStr("subcommands")
		c.Map(len(subs))
		for _, sub := range subs {
			c.BulkStr(sub.Name)
			writeDocs(c, sub)
		}
	}
}
