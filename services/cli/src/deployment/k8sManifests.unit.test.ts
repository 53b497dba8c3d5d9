import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { serviceEntry } from '@exactly/testkit';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments } from 'yaml';

// The deployment in infra/k8s, checked offline: every object against its Kubernetes (or KEDA)
// JSON schema, then the references between them that no schema sees. The CLI's workspace holds
// these checks so that infra/k8s stays plain YAML for kubectl and kustomize.

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const manifests = join(repo, 'infra/k8s');

// biome-ignore lint/suspicious/noExplicitAny: manifests are whatever the YAML says until validated
type Manifest = any;
type Model = new (data: Manifest) => { validate(): void };

const models: Record<string, Model> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
};

const files = readdirSync(manifests).filter(
  (file) => file.endsWith('.yaml') && file !== 'kustomization.yaml',
);
const objects: { file: string; object: Manifest }[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(manifests, file), 'utf8')).map((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.join('; ')}`);
    return { file, object: document.toJS() };
  }),
);
const kustomization = parseAllDocuments(
  readFileSync(join(manifests, 'kustomization.yaml'), 'utf8'),
)[0]?.toJS();

const ofKind = (kind: string) =>
  objects.filter(({ object }) => object.kind === kind).map(({ object }) => object);
const named = (kind: string, name: string) => ofKind(kind).find((object) => object.metadata.name === name);
const configMap = named('ConfigMap', 'exactly-config');
const secret = named('Secret', 'exactly-secrets');
const deployments = ofKind('Deployment');
const deployment = (service: string) =>
  deployments.find((object) => object.spec.template.metadata.labels['app.kubernetes.io/name'] === service);
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

/** The environment a container gets: its ConfigMaps and Secrets, then its own `env` (fieldRefs as the pod name). */
function environmentOf(container: Manifest): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const from = source.configMapRef
      ? named('ConfigMap', source.configMapRef.name)?.data
      : named('Secret', source.secretRef.name)?.stringData;
    if (from === undefined)
      throw new Error(`${container.name}: ${JSON.stringify(source)} names no object here`);
    Object.assign(env, from);
  }
  for (const entry of container.env ?? []) env[entry.name] = entry.value ?? 'pod-name-0';
  return env;
}

/** The container port a probe or Service port names (by name or number). */
function containerPort(container: Manifest, port: string | number): number | undefined {
  return container.ports?.find((entry: Manifest) => entry.name === port || entry.containerPort === port)
    ?.containerPort;
}

/** The service's own configuration module, built (each service's `config.ts`). */
async function serviceModule(
  service: string,
  module: string,
): Promise<Record<string, (env: unknown) => unknown>> {
  return import(pathToFileURL(join(repo, 'services', service, 'dist', module)).href);
}

const services = [
  { name: 'ingest-api', read: 'readIngestConfig', port: 3000 },
  { name: 'relay', read: 'readRelayConfig', port: 3001 },
  { name: 'dispatcher', read: 'readDispatcherConfig', port: 3002 },
  { name: 'console', read: 'readConsoleConfig', port: 3003 },
];

describe('the Kubernetes manifests in infra/k8s', () => {
  it('are each valid against the Kubernetes or KEDA schema of their kind', () => {
    expect(objects.length).toBeGreaterThanOrEqual(12);
    for (const { file, object } of objects) {
      const model = models[`${object.apiVersion}/${object.kind}`];
      if (model === undefined) throw new Error(`${file}: no schema for ${object.apiVersion} ${object.kind}`);
      expect(() => new model(object).validate()).not.toThrow();
    }
  });

  it('catch a manifest that breaks its schema (the check can fail)', () => {
    const broken = structuredClone(deployment('relay'));
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'three thousand and one';
    delete broken.spec.selector;
    expect(() => new Deployment(broken).validate()).toThrow(/selector.*containerPort must be integer/s);
  });

  it('are all listed in the kustomization, which sets their namespace and image', () => {
    expect([...kustomization.resources].sort()).toEqual([...files].sort());
    for (const { object } of objects) {
      if (object.kind !== 'Namespace') expect(object.metadata.namespace).toBe(kustomization.namespace);
    }
    expect(named('Namespace', kustomization.namespace)).toBeDefined();
    const images = new Set(
      [...deployments, ...ofKind('Job')].flatMap((object) =>
        object.spec.template.spec.containers.map((container: Manifest) => container.image.split(':')[0]),
      ),
    );
    expect([...images]).toEqual(kustomization.images.map((image: Manifest) => image.name));
  });

  describe.each(services)('the $name Deployment', ({ name, read, port }) => {
    const object = deployment(name);
    const container = object?.spec.template.spec.containers[0];

    it('selects its own pods, and a PodDisruptionBudget covers them', () => {
      const labels = object.spec.template.metadata.labels;
      expect(matches(object.spec.selector.matchLabels, labels)).toBe(true);
      const budgets = ofKind('PodDisruptionBudget').filter((budget) =>
        matches(budget.spec.selector.matchLabels, labels),
      );
      expect(budgets).toHaveLength(1);
      // Only this service's pods: no other Deployment's pods match its selector.
      for (const other of deployments.filter((candidate) => candidate !== object))
        expect(matches(object.spec.selector.matchLabels, other.spec.template.metadata.labels)).toBe(false);
    });

    it('runs the service’s built entry point with the image’s node', () => {
      expect(container.command).toBeUndefined();
      expect(container.args).toEqual([relative(repo, serviceEntry(name))]);
      expect(existsSync(join(repo, 'services', name, 'src/main.ts'))).toBe(true);
      expect(readFileSync(join(repo, 'infra/docker/Dockerfile'), 'utf8')).toMatch(/^ENTRYPOINT \["node"/m);
    });

    it('probes /readyz for readiness and /healthz for liveness where the service answers them', () => {
      const env = environmentOf(container);
      expect(Number(env.PORT)).toBe(port);
      expect(env.HOST).toBe('0.0.0.0');
      expect(container.readinessProbe.httpGet.path).toBe('/readyz');
      expect(container.livenessProbe.httpGet.path).toBe('/healthz');
      // The ingest API answers its operational routes on a listener of their own (OPS_PORT), off
      // the public port; the relay and the dispatcher serve nothing else on theirs.
      const probed = env.OPS_PORT === undefined ? port : Number(env.OPS_PORT);
      for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe].filter(
        Boolean,
      ))
        expect(containerPort(container, probe.httpGet.port)).toBe(probed);
    });

    it('provides every variable the service requires, as its own configuration schema reads them', async () => {
      const env = environmentOf(container);
      const readConfig = (await serviceModule(name, 'config.js'))[read];
      if (readConfig === undefined) throw new Error(`services/${name}/dist/config.js has no ${read}`);
      const config = readConfig(env) as Record<string, unknown>;
      expect(config.DATABASE_URL).toBe(secret.stringData.DATABASE_URL);
      if (name !== 'ingest-api')
        expect(config.KAFKA_BROKERS).toEqual(configMap.data.KAFKA_BROKERS.split(','));
      expect(config.COMMANDS_TOPIC).toBe(configMap.data.COMMANDS_TOPIC);
      // The same check fails when a required variable is missing (the ingest API has a default for each).
      if (name !== 'ingest-api')
        expect(() => readConfig({ ...env, DATABASE_URL: undefined })).toThrow(/DATABASE_URL/);
    });

    it('requests and limits resources, and has time to shut down cleanly', () => {
      expect(container.resources.requests).toEqual({ cpu: expect.anything(), memory: expect.anything() });
      expect(container.resources.limits.memory).toBeDefined();
      expect(object.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
      expect(container.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
      });
      expect(container.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    });
  });

  it.each([
    ['the ingest API', 'ingest-api', 3000],
    ['the console', 'console', 3003],
  ])('expose %s through a Service that reaches its pods on their http port', (_, name, port) => {
    const service = named('Service', `exactly-${name}`);
    const api = deployment(name);
    expect(matches(service.spec.selector, api.spec.template.metadata.labels)).toBe(true);
    expect(
      deployments.filter((object) => matches(service.spec.selector, object.spec.template.metadata.labels)),
    ).toHaveLength(1);
    expect(containerPort(api.spec.template.spec.containers[0], service.spec.ports[0].targetPort)).toBe(port);
  });

  it('scale the dispatcher with KEDA on its group’s lag, never beyond the commands topic’s partitions', () => {
    const [scaler] = ofKind('ScaledObject');
    const dispatcher = deployment('dispatcher');
    expect(scaler.spec.scaleTargetRef.name).toBe(dispatcher.metadata.name);
    expect(scaler.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    expect(scaler.spec.maxReplicaCount).toBeLessThanOrEqual(Number(configMap.data.RELAY_TOPIC_PARTITIONS));
    const [trigger] = scaler.spec.triggers;
    const env = environmentOf(dispatcher.spec.template.spec.containers[0]);
    expect(trigger).toMatchObject({
      type: 'kafka',
      metadata: {
        bootstrapServers: env.KAFKA_BROKERS,
        consumerGroup: env.CONSUMER_GROUP,
        topic: env.COMMANDS_TOPIC,
        allowIdleConsumers: 'false',
      },
    });
  });

  it('keep the dispatcher’s inbox longer than a command can come back (its own start-up check)', async () => {
    const env = environmentOf(deployment('dispatcher').spec.template.spec.containers[0]);
    const config = (await serviceModule('dispatcher', 'config.js')).readDispatcherConfig?.(env) as Record<
      string,
      number
    >;
    const { inboxRetentionProblem } = (await serviceModule(
      'dispatcher',
      'inbox/topicRetention.js',
    )) as unknown as {
      inboxRetentionProblem: (
        inbox: number,
        lag: number,
        topic: string,
        retention: { retentionMs: number; segmentMs: number },
      ) => unknown;
    };
    const relay = (await serviceModule('relay', 'config.js')).readRelayConfig?.(
      environmentOf(deployment('relay').spec.template.spec.containers[0]),
    ) as Record<string, number>;
    // Kafka's default segment.ms (7 days): the relay does not set it.
    const retention = { retentionMs: relay.RELAY_TOPIC_RETENTION ?? 0, segmentMs: 7 * 86_400_000 };
    expect(
      inboxRetentionProblem(config.INBOX_RETENTION ?? 0, config.RELAY_MAX_LAG ?? 0, 'commands', retention),
    ).toBeUndefined();
  });

  it('migrate the schema with a Job that has the database URL', () => {
    const [job] = ofKind('Job');
    const container = job.spec.template.spec.containers[0];
    expect(container.args).toEqual(['packages/persistence/dist/migrateCommand.js']);
    expect(existsSync(join(repo, 'packages/persistence/src/migrateCommand.ts'))).toBe(true);
    expect(environmentOf(container).DATABASE_URL).toBe(secret.stringData.DATABASE_URL);
  });
});
