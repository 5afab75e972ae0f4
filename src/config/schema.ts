import { z } from 'zod';

const gibibyte = 1024 ** 3;

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The server's configuration, as read from the YAML file and the environment, with defaults. */
export const configSchema = z
  .object({
    listen: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        /**
         * Serve plain HTTP on an address other than loopback. Off: clients send bearer tokens and private
         * keys in `Authorization`, so without TLS the server refuses such an address unless TLS is
         * terminated in front of it (an ingress) and this says so.
         */
        allowPlainHttp: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** The URL clients reach the server at; links and `Location` headers are built from it. */
    externalUrl: z.url({ protocol: /^https?$/ }).optional(),
    tls: z
      .object({ certFile: z.string().min(1), keyFile: z.string().min(1) })
      .strict()
      .optional(),
    dataDir: z.string().min(1).default('data'),
    backend: z.enum(['embedded', 'kubernetes']).default('embedded'),
    embedded: z
      .object({
        /** process-crash: WAL + synchronous=NORMAL (acknowledged writes survive a killed process); power-loss: fsync per commit. */
        durability: z.enum(['process-crash', 'power-loss']).default('process-crash'),
      })
      .strict()
      .prefault({}),
    /** The cluster of the kubernetes backend; without a kubeconfig: in-cluster service account, else KUBECONFIG / ~/.kube/config. */
    kubernetes: z
      .object({
        kubeconfig: z.string().min(1).optional(),
        context: z.string().min(1).optional(),
        /**
         * Answer read-only lists from watch caches (one per kind, kept by the server's session) instead
         * of one apiserver call per namespace; users' lists are still authorized as the user. See
         * src/store/read-cache/.
         */
        readCache: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    rootNamespace: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a Kubernetes namespace name')
      .max(63)
      .default('cf'),
    defaultDomain: z.string().min(1).default('apps.localhost'),
    /** After how long a deletion that has not finished is reported as a FAILED job. */
    deletionTimeoutSeconds: z.number().positive().default(120),
    /** How long org and space creation wait for their controller to report them ready. */
    readyTimeoutSeconds: z.number().positive().default(120),
    /** Finished tasks are deleted this long after they ended (Korifi's `taskTTL`: 30 days). */
    taskTTLSeconds: z
      .number()
      .positive()
      .default(30 * 24 * 3600),
    /**
     * Run the org/space reconcilers in this process (namespaces, role propagation, readiness, deletion).
     * Default: on for the embedded backend, off for kubernetes (where Korifi's controllers may run).
     */
    reconcilers: z.boolean().optional(),
    /**
     * What stages and runs apps where this server's own reconcilers do Korifi's work (see README, "The
     * runtime port"): `local` stages with local buildpacks and runs apps as processes of this server
     * (the default on the embedded backend); `none` fails every staging with a message saying so (the
     * default on kubernetes, where Korifi's controllers are expected); `scripted` runs nothing and does
     * what the app's SCRIPTED_* environment variables ask (for tests).
     */
    appRuntime: z.enum(['none', 'scripted', 'local']).optional(),
    /** The local runtime's HTTP router: routes `http://<host>.<domain>:<port>/<path>` to running instances. */
    router: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        /** 0: any free port (tests). */
        port: z.number().int().min(0).max(65535).default(8081),
      })
      .strict()
      .prefault({}),
    /** Korifi's `builderName`: the BuilderInfo in the root namespace that lists the buildpacks and stacks. */
    builderName: z.string().min(1).default('cf-kpack-builder'),
    /**
     * Warn on the org list when a client certificate is valid for longer than this (Korifi's default: 168 h).
     * Default: 168 on kubernetes, none on embedded, whose certificates the user's own server issued.
     */
    certificateWarningHours: z.number().positive().optional(),
    info: z
      .object({
        name: z.string().default('cf-k8s-api'),
        description: z.string().default('A Cloud Foundry V3 API on Kubernetes'),
        build: z.string().default('0.1.0'),
        version: z.string().default('0.1.0'),
        /** The oldest cf CLI served: `/v3/info` shows it and the cf CLI gate enforces it (pre-releases of it pass). */
        minCliVersion: z
          .string()
          .regex(/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/, 'must be a version like 8.5.0')
          .default('8.5.0'),
        recommendedCliVersion: z.string().default('8.18.4'),
        supportAddress: z.string().default(''),
        custom: z.record(z.string(), z.string()).default({}),
      })
      .strict()
      .prefault({}),
    list: z
      .object({ defaultPageSize: z.number().int().min(1).max(5000).default(50) })
      .strict()
      .prefault({}),
    /** Bounds on what users may ask for, which Cloud Foundry leaves to org quotas (this server has none). */
    limits: z
      .object({
        /**
         * The most instances one process may be scaled to (by a scale, or a manifest's `instances`);
         * more is refused with a 422. The local runtime runs every instance on this machine; a cluster
         * may raise it.
         */
        instancesPerProcess: z.number().int().min(1).max(2_147_483_647).default(1000),
      })
      .strict()
      .prefault({}),
    /** Bits packages: the upload's size and what its zip may unpack to (larger ones get a 422). */
    packages: z
      .object({
        /** The largest zip accepted in an upload (Cloud Controller's default: 1 GiB). */
        maxUploadBytes: z.number().int().positive().default(gibibyte),
        /** The most a package's files may add up to, unpacked: a zip bomb stops here. */
        maxUncompressedBytes: z
          .number()
          .int()
          .positive()
          .default(2 * gibibyte),
        /** The most entries (files, directories, links) a package may hold. */
        maxEntries: z.number().int().positive().default(100_000),
      })
      .strict()
      .prefault({}),
    /**
     * Where the kubernetes backend keeps package bits, as Korifi does: an OCI registry. Unused by the
     * embedded backend, which keeps them under the data directory.
     */
    containerRegistry: z
      .object({
        /**
         * Korifi's `containerRepositoryPrefix`: a bits package of app A is pushed to `<prefix>A-packages`,
         * e.g. `registry.example.org/cf/` (the registry host first). Without it uploads fail with 502.
         */
        repositoryPrefix: z.string().min(1).optional(),
        /** Korifi's `packageRegistrySecretNames`: docker config Secrets in the root namespace holding the push credentials. */
        packageRegistrySecretNames: z.array(z.string().min(1)).default([]),
        /** A PEM file of the CA that signed the registry's certificate, when it is not a public one. */
        caFile: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    /** Resource matching: files of uploaded packages kept by SHA-1 (embedded backend) so a new push need not send them. */
    resourceMatching: z
      .object({
        /** The bound of that cache, in bytes on disk (a kept zip counts its compressed size); the least recently used go first. */
        cacheBytes: z.number().int().nonnegative().default(gibibyte),
      })
      .strict()
      .prefault({}),
    /** Prometheus metrics at `/metrics` (without authentication, like `/healthz` and `/readyz`). */
    metrics: z
      .object({
        /** Off where the server's port is reachable by others than the scraper and the counts are not for them. */
        enabled: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    logLevel: z.enum(logLevels).default('info'),
    shutdownTimeoutSeconds: z.number().positive().default(10),
    /**
     * After SIGTERM, how long the server goes on serving with `/readyz` failing before it stops accepting
     * connections: the time a load balancer (Kubernetes endpoints) takes to stop sending it requests.
     */
    shutdownDelaySeconds: z.number().nonnegative().default(0),
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;

/** The validated configuration with every derived value filled in. */
export type Config = Omit<ParsedConfig, 'externalUrl' | 'appRuntime'> & {
  externalUrl: string;
  appRuntime: NonNullable<ParsedConfig['appRuntime']>;
};
