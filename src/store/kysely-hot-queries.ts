/**
 * The store's hot queries: the statements behind an activity callback (find a connection by clientId or id, then
 * an optimistic state update), compiled once and, on SQLite, run synchronously on the connection when that is safe.
 *
 * Why it exists: bench/store.ts measures exactly that op (`findByClientId` + `update`, SQLite, 1,000 connections)
 * against its ≥ 20,000 ops/s target. Kysely builds and compiles every query anew (~10 µs a statement), and its SQLite
 * driver queues each one behind a connection mutex with several promise hops. In one in-process A/B run of that op
 * (median of 8 interleaved rounds) the store did about 14,500 ops/s with neither shortcut, 19,000 with the
 * precompiled queries alone and 21,500 with the direct path on top: in that run only both together met the target.
 *
 * What keeps it correct:
 * - `template()` compiles each query once with a sentinel string per value, checks that every sentinel came out as
 *   a parameter and every parameter is a sentinel, and on a re-run swaps in only the parameter list: the SQL text is
 *   Kysely's own. When that check fails it returns `undefined` and callers build the query the ordinary way.
 * - Update templates are cached per set of columns (their order included), so a statement never carries a column
 *   the caller did not set.
 * - The synchronous path is `directQuery` (SQLite only; `sqliteDialect` in open-connection-store.ts). It declines,
 *   returning `undefined`, while `raw.inTransaction` is true: a Kysely `transaction()` is then open on the one
 *   connection, awaiting between its statements, and the statement goes through Kysely, which queues it until that
 *   transaction ends. Without that guard a hot read would see uncommitted rows and a hot update would run inside,
 *   and roll back with, someone else's transaction. kysely-hot-queries.test.ts pins this.
 * - PostgreSQL has no direct executor: there the precompiled queries go through `db.executeQuery` and the pool.
 * @module
 */
import type { CompiledQuery, Compilable, Kysely } from 'kysely';
import type { DirectQuery } from './open-connection-store.js';
import { CONNECTIONS_TABLE, type ConnectionsTable, type StoreDatabase } from './schema.js';

type Row = ConnectionsTable;
/** Rows at once on SQLite's direct path, a promise through Kysely: a lookup pays no promise it does not need. */
type Rows<R> = R | Promise<R>;
type Template<N extends string> = (values: Readonly<Record<N, unknown>>) => CompiledQuery<Row>;

/**
 * Compiles a query once with a sentinel per named value, then runs it with new values by rebuilding only the
 * parameter list. Spares Kysely's build and compile (~10 µs) on the hot paths. Returns `undefined` if a sentinel
 * does not come out as a parameter (then the caller builds the query the ordinary way).
 */
function template<N extends string, R>(
  names: readonly N[],
  build: (values: Readonly<Record<N, any>>) => Compilable<R>,
): ((values: Readonly<Record<N, unknown>>) => CompiledQuery<R>) | undefined {
  const sentinels = Object.fromEntries(names.map((name) => [name, `\u0001rcmk-param:${name}`])) as Record<N, string>;
  const compiled = build(sentinels).compile();
  const order = compiled.parameters.map((value) => names.find((name) => sentinels[name] === value));
  if (order.some((name) => name === undefined) || names.some((name) => !order.includes(name))) return undefined;
  return (values) => ({ ...compiled, parameters: order.map((name) => values[name as N]) });
}

/**
 * The precompiled hot queries of one `KyselyConnectionStore`. Each method returns `undefined` when its query did not
 * precompile; the caller then runs the ordinary Kysely query instead.
 */
export class HotQueries {
  readonly #db: Kysely<StoreDatabase>;
  readonly #direct: DirectQuery | undefined;
  readonly #byHash: Template<'hash'> | undefined;
  readonly #byId: Template<'id'> | undefined;
  readonly #updates = new Map<string, Template<string> | undefined>();

  constructor(db: Kysely<StoreDatabase>, direct: DirectQuery | undefined) {
    this.#db = db;
    this.#direct = direct;
    this.#byHash = template(['hash'], (v) => db.selectFrom(CONNECTIONS_TABLE).selectAll().where('client_id_hash', '=', v.hash));
    this.#byId = template(['id'], (v) => db.selectFrom(CONNECTIONS_TABLE).selectAll().where('id', '=', v.id));
  }

  /** The rows whose `client_id_hash` is `hash` (unique: at most one). */
  selectByHash(hash: string): Rows<Row[]> | undefined {
    return this.#byHash && this.#execute(this.#byHash({ hash }), true);
  }

  /** The row with this id. */
  selectById(id: string): Rows<Row | undefined> | undefined {
    return this.#byId && this.#first(this.#byId({ id }));
  }

  /**
   * `update … set <set> where id = ? and version = ? returning *` as one statement: the updated row, or `undefined`
   * in the promise when no row has this id at this version. The caller bumps `version` in `set`.
   */
  updateAtVersion(set: Readonly<Partial<Row>>, id: string, expectedVersion: number): Rows<Row | undefined> | undefined {
    const run = this.#updateTemplate(Object.keys(set) as (keyof Row)[]);
    return run && this.#first(run({ ...set, id, expectedVersion }));
  }

  #first(query: CompiledQuery<Row>): Rows<Row | undefined> {
    const rows = this.#execute(query, true);
    return Array.isArray(rows) ? rows[0] : rows.then((all) => all[0]);
  }

  /** Runs a precompiled query, directly when the dialect allows it (may throw), else through Kysely. */
  #execute(query: CompiledQuery<Row>, single = false): Rows<Row[]> {
    const rows = this.#direct?.(query.sql, query.parameters, single);
    return rows ? (rows as Row[]) : this.#db.executeQuery(query).then((result) => result.rows);
  }

  /** The update statement for one set of columns, compiled once per shape. */
  #updateTemplate(columns: readonly (keyof Row)[]): Template<string> | undefined {
    const key = columns.join(',');
    if (!this.#updates.has(key)) {
      const names = [...columns, 'id', 'expectedVersion'] as string[];
      this.#updates.set(
        key,
        template(names, (v) =>
          this.#db
            .updateTable(CONNECTIONS_TABLE)
            .set(Object.fromEntries(columns.map((column) => [column, v[column]])))
            .where('id', '=', v.id)
            .where('version', '=', v.expectedVersion)
            .returningAll(),
        ),
      );
    }
    return this.#updates.get(key);
  }
}
