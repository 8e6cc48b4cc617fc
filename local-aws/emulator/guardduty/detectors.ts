/**
 * GuardDuty detectors: CreateDetector, ListDetectors, GetDetector,
 * UpdateDetector, DeleteDetector.
 */
import type {
  CreateDetectorRequest,
  CreateDetectorResponse,
  DataSourceConfigurations,
  DataSourceConfigurationsResult,
  DeleteDetectorRequest,
  DetectorFeatureConfiguration,
  DetectorFeatureConfigurationResult,
  GetDetectorRequest,
  GetDetectorResponse,
  ListDetectorsRequest,
  ListDetectorsResponse,
  UpdateDetectorRequest,
} from '@aws-sdk/client-guardduty';

import { ApiError } from '../errors';
import { typed, type Handler } from '../service';
import { iso, paginate } from '../util';
import { assertFeaturesOffered, type Detector, type GuardDutyStore } from './store';

/**
 * GuardDuty rejects a request that names both Runtime Monitoring and EKS
 * Runtime Monitoring (CreateDetector, UpdateDetector, UpdateMemberDetectors,
 * UpdateOrganizationConfiguration: "Specifying both … will cause an error",
 * since Runtime Monitoring already covers EKS).
 */
export function assertNoRuntimeConflict(features: ReadonlyArray<{ readonly Name?: string }> | undefined): void {
  const names = new Set((features ?? []).map((f) => f.Name));
  if (names.has('RUNTIME_MONITORING') && names.has('EKS_RUNTIME_MONITORING')) {
    throw new ApiError(
      'BadRequestException',
      'The request is rejected because it specifies both RUNTIME_MONITORING and EKS_RUNTIME_MONITORING; specify only one (Runtime Monitoring includes the threat detection for Amazon EKS resources).',
    );
  }
}

/**
 * GuardDuty rejects a request that names both `Features` and the deprecated
 * `DataSources` (detector, member and organization updates alike): the two
 * would configure the same protection plans.
 */
export function assertNotBothDataSourcesAndFeatures(features: object | undefined, dataSources: object | undefined): void {
  if (features && dataSources) {
    throw new ApiError(
      'BadRequestException',
      'The request is rejected because both dataSources and features are specified; use features only.',
    );
  }
}

/** Apply `Features` (or legacy `DataSources`) of a Create/UpdateDetector (or UpdateMemberDetectors) request. */
export function applyDetectorFeatures(
  detector: Detector,
  features: readonly DetectorFeatureConfiguration[] | undefined,
  dataSources: DataSourceConfigurations | undefined,
  now: Date,
): void {
  assertNotBothDataSourcesAndFeatures(features, dataSources);
  assertNoRuntimeConflict(features);
  assertFeaturesOffered(features, detector.region);
  const set = (name: string, enabled: boolean | undefined): void => {
    if (enabled === undefined) return;
    const state = detector.features.get(name) ?? { status: 'DISABLED' as const, updatedAt: now, additional: new Map() };
    state.status = enabled ? 'ENABLED' : 'DISABLED';
    state.updatedAt = now;
    detector.features.set(name, state);
  };
  for (const feature of features ?? []) {
    if (!feature.Name) continue;
    set(feature.Name, feature.Status === undefined ? undefined : feature.Status === 'ENABLED');
    const state = detector.features.get(feature.Name);
    for (const extra of feature.AdditionalConfiguration ?? []) {
      if (state && extra.Name && extra.Status) state.additional.set(extra.Name, { status: extra.Status, updatedAt: now });
    }
  }
  if (dataSources) {
    set('S3_DATA_EVENTS', dataSources.S3Logs?.Enable);
    set('EKS_AUDIT_LOGS', dataSources.Kubernetes?.AuditLogs?.Enable);
    set('EBS_MALWARE_PROTECTION', dataSources.MalwareProtection?.ScanEc2InstanceWithFindings?.EbsVolumes);
  }
}

/** A detector's features as GetDetector / GetMemberDetectors return them. */
export function featureResults(detector: Detector): DetectorFeatureConfigurationResult[] {
  return [...detector.features.entries()].map(([name, state]) => ({
    Name: name as DetectorFeatureConfigurationResult['Name'],
    Status: state.status,
    UpdatedAt: state.updatedAt,
    AdditionalConfiguration: [...state.additional.entries()].map(([extra, s]) => ({
      Name: extra as NonNullable<DetectorFeatureConfigurationResult['AdditionalConfiguration']>[number]['Name'],
      Status: s.status,
      UpdatedAt: s.updatedAt,
    })),
  }));
}

/** A detector's legacy data-source view. */
export function dataSourcesResult(detector: Detector): DataSourceConfigurationsResult {
  const status = (name: string): 'ENABLED' | 'DISABLED' => detector.features.get(name)?.status ?? 'DISABLED';
  return {
    CloudTrail: { Status: status('CLOUD_TRAIL') },
    DNSLogs: { Status: status('DNS_LOGS') },
    FlowLogs: { Status: status('FLOW_LOGS') },
    S3Logs: { Status: status('S3_DATA_EVENTS') },
    Kubernetes: { AuditLogs: { Status: status('EKS_AUDIT_LOGS') } },
    MalwareProtection: {
      ScanEc2InstanceWithFindings: { EbsVolumes: { Status: status('EBS_MALWARE_PROTECTION') } },
      ServiceRole: `arn:aws:iam::${detector.accountId}:role/aws-service-role/malware-protection.guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDutyMalwareProtection`,
    },
  };
}

/** The detector handlers, keyed by operation name. */
export function detectorHandlers(store: GuardDutyStore): Record<string, Handler> {
  return {
    CreateDetector: typed<CreateDetectorRequest, CreateDetectorResponse>((ctx, input) => {
      if (store.detectorOf(ctx.accountId, ctx.region)) {
        throw new ApiError('BadRequestException', 'The request is rejected because a detector already exists for the current account.');
      }
      // Checked before the detector exists: a rejected request creates nothing.
      assertNoRuntimeConflict(input.Features);
      assertFeaturesOffered(input.Features, ctx.region);
      const detector = store.createDetector(ctx.accountId, ctx.region, ctx.now, input.Enable ?? true);
      if (input.FindingPublishingFrequency) detector.findingPublishingFrequency = input.FindingPublishingFrequency;
      detector.tags = { ...(input.Tags ?? {}) };
      applyDetectorFeatures(detector, input.Features, input.DataSources, ctx.now);
      return { DetectorId: detector.id };
    }),

    ListDetectors: typed<ListDetectorsRequest, ListDetectorsResponse>((ctx, input) => {
      const detector = store.detectorOf(ctx.accountId, ctx.region);
      const page = paginate(detector ? [detector.id] : [], input.MaxResults, input.NextToken, 50, 'BadRequestException');
      return { DetectorIds: page.items, NextToken: page.nextToken };
    }),

    GetDetector: typed<GetDetectorRequest, GetDetectorResponse>((ctx, input) => {
      const detector = store.ownedDetector(input.DetectorId ?? '', ctx.accountId, ctx.region);
      return {
        CreatedAt: detector.createdAt,
        UpdatedAt: detector.updatedAt,
        FindingPublishingFrequency: detector.findingPublishingFrequency as GetDetectorResponse['FindingPublishingFrequency'],
        ServiceRole: `arn:aws:iam::${detector.accountId}:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty`,
        Status: detector.status,
        DataSources: dataSourcesResult(detector),
        Features: featureResults(detector),
        Tags: Object.keys(detector.tags).length > 0 ? detector.tags : undefined,
      };
    }),

    UpdateDetector: typed<UpdateDetectorRequest, object>((ctx, input) => {
      const detector = store.ownedDetector(input.DetectorId ?? '', ctx.accountId, ctx.region);
      if (input.Enable !== undefined) detector.status = input.Enable ? 'ENABLED' : 'DISABLED';
      if (input.FindingPublishingFrequency) detector.findingPublishingFrequency = input.FindingPublishingFrequency;
      applyDetectorFeatures(detector, input.Features, input.DataSources, ctx.now);
      detector.updatedAt = iso(ctx.now);
      return {};
    }),

    DeleteDetector: typed<DeleteDetectorRequest, object>((ctx, input) => {
      const detector = store.ownedDetector(input.DetectorId ?? '', ctx.accountId, ctx.region);
      store.deleteDetector(detector);
      return {};
    }),
  };
}
