// The EC2 side of deleting a distributed image (RemovalPolicy destroy): deregister this account's AMIs and delete
// their snapshots.
import * as clients from './clients';
import { DistributeImageOptions, errorText, log } from './distribute-common';
import { withRetries } from './retry';

export async function deleteAmi(context: clients.CallContext, name: string, region: string, amiId: string, imageCreated: number,
  sourceImage: string | undefined, options: DistributeImageOptions): Promise<void> {
  if (amiId === sourceImage) {
    log(options, `${name}: keeping ${amiId} in ${region}: it is the source image`);
    return;
  }
  const ec2 = clients.ec2(context, region);
  let described;
  try {
    described = (await withRetries(() => ec2.describeImages({ ImageIds: [amiId], Owners: ['self'] }), clients.retryOptions(context, options.retry))).Images?.[0];
  } catch (err: any) {
    if (isEc2NotFound(err)) {
      log(options, `${name}: ${amiId} in ${region} is already gone`);
      return;
    }
    throw new Error(`${name}: DescribeImages ${amiId} in ${region} failed: ${errorText(err)}`);
  }
  if (!described) {
    log(options, `${name}: ${amiId} in ${region} is already gone or not owned by this account`);
    return;
  }
  // An AMI older than the distribution is not one it made: the source AMI, listed when the configuration
  // distributes to the source's own Region and account (e.g. a source given as an SSM parameter or image ARN).
  const amiCreated = Date.parse(described.CreationDate ?? '');
  if (!(amiCreated >= imageCreated)) {
    log(options, `${name}: keeping ${amiId} in ${region}: created ${described.CreationDate}, not after the distribution (${new Date(imageCreated).toString()})`);
    return;
  }

  try {
    await withRetries(() => ec2.deregisterImage({ ImageId: amiId }), clients.retryOptions(context, options.retry));
  } catch (err: any) {
    if (!isEc2NotFound(err)) throw new Error(`${name}: DeregisterImage ${amiId} in ${region} failed: ${errorText(err)}`);
  }
  // Snapshots survive deregistration and cost money; they can only go once the AMI is gone.
  for (const mapping of described.BlockDeviceMappings ?? []) {
    const snapshotId = mapping.Ebs?.SnapshotId;
    if (!snapshotId) continue;
    try {
      await withRetries(() => ec2.deleteSnapshot({ SnapshotId: snapshotId }), clients.retryOptions(context, options.retry));
    } catch (err: any) {
      if (err?.name === 'InvalidSnapshot.NotFound') continue;
      if (err?.name === 'InvalidSnapshot.InUse') {
        log(options, `${name}: keeping snapshot ${snapshotId} in ${region}: still used by another AMI (${err.message})`);
        continue;
      }
      throw new Error(`${name}: DeleteSnapshot ${snapshotId} in ${region} failed: ${errorText(err)}`);
    }
  }
  log(options, `${name}: deregistered ${amiId} in ${region} and deleted its snapshots`);
}

function isEc2NotFound(err: any): boolean {
  return err?.name === 'InvalidAMIID.NotFound' || err?.name === 'InvalidAMIID.Unavailable';
}
