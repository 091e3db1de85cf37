# The wire contract between tagd and its clients (Cap'n Proto RPC, two-party, TCP).
#
# Errors: a failed call raises a Cap'n Proto exception whose description starts with a stable
# code, then ": " and a message for people, e.g.
#   "INVALID_EXPRESSION: column 9: expected a value, found end of input".
# The codes and what each means are listed in docs/protocol.md.
#
# Evolution: fields and methods are only ever added (new ordinals at the end), never renumbered,
# retyped or removed, so an old client keeps working against a newer node. Every request and
# reply is a struct, so fields can be added without new methods.

@0xea1e8e4301fafc9e;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("tagd::wire");

# ---- expressions (docs/expressions.md); the text form is usually simpler ----

struct Literal {
  union {
    string @0 :Text;
    number @1 :Text;   # as written: optional '-', digits, optional '.' digits (exact decimals)
    boolean @2 :Bool;
  }
}

enum CompareOp { eq @0; ne @1; lt @2; le @3; gt @4; ge @5; }

struct Expr {
  union {
    and @0 :List(Expr);      # two or more
    or @1 :List(Expr);       # two or more
    not @2 :Expr;
    compare @3 :Compare;
    inList @4 :InList;
    between @5 :Between;
    isNull @6 :IsNull;
    has @7 :Has;
    within @8 :Within;
    inGroup @9 :InGroup;
    tag @10 :Text;           # a bare tag: a bool tag that is true, or a composite tag
  }
  struct Compare { tag @0 :Text; op @1 :CompareOp; value @2 :Literal; }
  struct InList { tag @0 :Text; values @1 :List(Literal); negated @2 :Bool; }
  struct Between { tag @0 :Text; low @1 :Literal; high @2 :Literal; }
  struct IsNull { tag @0 :Text; negated @1 :Bool; }         # negated: IS NOT NULL
  struct Has { tag @0 :Text; values @1 :List(Literal); all @2 :Bool; }
  struct Within { tag @0 :Text; days @1 :Int64; }
  struct InGroup { group @0 :Text; version @1 :UInt32; }    # version 0: the latest
}

# What a query reads. Every answer names the snapshot it saw; passing it back in a Query pins
# the query to exactly those table and group versions.
struct Snapshot {
  catalogVersion @0 :UInt64;
  tables @1 :List(TableVersion);
  groups @2 :List(GroupVersion);
  struct TableVersion { table @0 :Text; storageId @1 :UInt32; label @2 :Text; }
  struct GroupVersion { group @0 :Text; version @1 :UInt32; }
}

struct Query {
  entity @0 :Text;              # "" means "user"
  expression :union {
    text @1 :Text;
    structured @2 :Expr;
  }
  now @3 :Int64;                # seconds since the epoch for WITHIN; 0: the node's clock
  pin @4 :Snapshot;             # unset: the current versions
  deadlineMs @5 :UInt32;        # 0: the node's default deadline
}

# ---- catalog ----

enum KeyKind { u64 @0; string @1; }
enum TagKind { bool @0; enum @1; set @2; int @3; decimal @4; time @5; }
enum TimeUnit { date @0; timestamp @1; }
enum TableMode { offline @0; realtime @1; }

struct EntityDef { name @0 :Text; keys @1 :KeyKind; }

struct ColumnDef {
  tag @0 :Text;
  column @1 :Text;        # header name or "#N" (1-based position); "" means the tag's name
  kind @2 :TagKind;
  precision @3 :UInt32;   # decimal
  scale @4 :UInt32;       # decimal
  unit @5 :TimeUnit;      # time
}

struct TableDef {
  name @0 :Text;
  entity @1 :Text;        # "" means "user"
  keyColumn @2 :Text;     # "" means the first column
  columns @3 :List(ColumnDef);
  mode @4 :TableMode;
  multiRow @5 :Bool;      # an entity may have several rows (leaves match any of them)
  retention @6 :UInt32;   # versions kept, the current one included; 0: the node's default
}

struct CompositeDef {
  name @0 :Text;
  entity @1 :Text;
  expression @2 :Text;
  materialized @3 :Bool;
}

struct TableInfo {
  def @0 :TableDef;
  versions @1 :List(Snapshot.TableVersion);   # oldest first; the last is current
}

struct GroupVersionInfo {
  group @0 :Text;
  version @1 :UInt32;
  count @2 :UInt64;
  createdUnix @3 :Int64;
  expression @4 :Text;    # "" for an uploaded group
  entity @5 :Text;
}

struct Catalog {
  version @0 :UInt64;
  entities @1 :List(EntityDef);
  tables @2 :List(TableInfo);
  composites @3 :List(CompositeDef);
  groups @4 :List(GroupVersionInfo);   # every kept version of every group
}

# ---- import ----

struct ImportOptions {
  delimiter @0 :Text;      # one character; "" means ","
  header @1 :Bool;         # the first line names the columns
  maxRejected @2 :UInt64;  # past this many bad rows the load aborts
}

struct Reject { source @0 :Text; line @1 :UInt64; reason @2 :Text; }

struct ImportReport {
  table @0 :Text;
  label @1 :Text;
  storageId @2 :UInt32;
  rowsRead @3 :UInt64;
  rowsLoaded @4 :UInt64;
  keys @5 :UInt64;
  rejected @6 :UInt64;
  rejects @7 :List(Reject);  # the first ones, with line and reason
  seconds @8 :Float64;
}

# One load of a table version. Send batches of whole rows in the table's file format (CSV or
# TSV text, the header only in the first batch); the reply comes once the batch is queued, so
# waiting for it is the flow control. Nothing is visible until commit(); dropping the
# capability without commit() aborts the load.
interface Import {
  addRows @0 (data :Data) -> (rowsRead :UInt64, rejected :UInt64);
  commit @1 () -> (report :ImportReport);
  abort @2 () -> ();
}

# ---- streaming upload of an external group (beginUpload) ----
# Keys arrive in batches of at most --max-batch-keys; nothing is visible until commit, which
# answers as upload does. A session dropped without commit aborts.
interface Upload {
  addKeys @0 (keys :List(Text)) -> (keysSoFar :UInt64);
  commit @1 () -> (version :GroupVersionInfo, unknownKeys :UInt64, unknownSample :List(Text));
  abort @2 () -> ();
}

# ---- real-time rows ----

struct Field { union { null @0 :Void; value @1 :Text; } }
struct Row { key @0 :Text; fields @1 :List(Field); }   # fields in the table's column order

# ---- export ----

struct PartInfo { vshard @0 :UInt32; rows @1 :UInt64; bytes @2 :UInt64; crc32 @3 :UInt32; }

# A group version being exported: one part per vshard (keys, one per line). Read each part in
# pieces of at most maxBytes. The node makes a part's text when it is first read and keeps only
# the last parts read, so reading the parts in order costs it the least.
interface Export {
  parts @0 () -> (info :GroupVersionInfo, parts :List(PartInfo));
  read @1 (vshard :UInt32, offset :UInt64, maxBytes :UInt32) -> (data :Data);
}

# ---- node ----

struct NodeStatus {
  version @0 :Text;
  dataDirectory @1 :Text;
  vshards @2 :UInt32;
  uptimeSeconds @3 :Float64;
  catalogVersion @4 :UInt64;
  requestsServed @5 :UInt64;
  requestsFailed @6 :UInt64;
}

struct BreakdownEntry { value @0 :Text; count @1 :UInt64; }

interface Tagd {
  # Answered on the RPC thread: the transport's floor.
  ping @0 () -> ();
  status @1 () -> (status :NodeStatus);

  defineEntity @2 (def :EntityDef) -> (catalogVersion :UInt64);
  defineTable @3 (def :TableDef) -> (catalogVersion :UInt64);
  defineComposite @4 (def :CompositeDef) -> (catalogVersion :UInt64);
  catalog @5 () -> (catalog :Catalog);
  dropTable @6 (name :Text) -> (catalogVersion :UInt64);
  dropGroup @7 (name :Text) -> (catalogVersion :UInt64);

  beginImport @8 (table :Text, label :Text, options :ImportOptions) -> (import :Import);
  upsert @9 (table :Text, rows :List(Row)) -> ();
  remove @10 (table :Text, keys :List(Text)) -> (removed :UInt64);

  estimate @11 (query :Query) -> (count :UInt64, snapshot :Snapshot);
  breakdown @12 (query :Query, tag :Text) -> (entries :List(BreakdownEntry), snapshot :Snapshot);
  select @13 (group :Text, query :Query) -> (version :GroupVersionInfo, snapshot :Snapshot);
  upload @14 (group :Text, entity :Text, keys :List(Text))
      -> (version :GroupVersionInfo, unknownKeys :UInt64, unknownSample :List(Text));
  export @15 (group :Text, version :UInt32) -> (export :Export);   # version 0: the latest

  contains @16 (group :Text, version :UInt32, key :Text) -> (member :Bool);
  containsMany @17 (group :Text, version :UInt32, keys :List(Text)) -> (members :List(Bool));
  groupsOf @18 (entity :Text, key :Text) -> (groups :List(Text));

  # An upload too large for one message: keys in batches, then one new group version.
  beginUpload @19 (group :Text, entity :Text) -> (upload :Upload);
}
