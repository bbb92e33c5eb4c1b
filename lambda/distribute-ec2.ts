// The EC2 side of deleting a distributed image (RemovalPolicy destroy): deregister this account's AMIs and delete
// their snapshots.
import * as clients from './clients';
import { call } from './errors';

const amiGone = (err: unknown) => ['InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable'].includes((err as Error)?.name);

export async function deleteAmi(context: clients.CallContext, name: string, region: string, amiId: string, imageCreated: number,
  sourceImage: string | undefined): Promise<void> {
  const log = context.log;
  if (amiId === sourceImage) {
    log(`${name}: keeping ${amiId} in ${region}: it is the source image`);
    return;
  }
  const ec2 = clients.ec2(context, region);
  const target = `${amiId} in ${region}`;
  let described;
  try {
    described = (await call(context, 'DescribeImages', target, () => ec2.describeImages({ ImageIds: [amiId], Owners: ['self'] }), amiGone)).Images?.[0];
  } catch (err) {
    if (!amiGone(err)) throw err;
    log(`${name}: ${amiId} in ${region} is already gone`);
    return;
  }
  if (!described) {
    log(`${name}: ${amiId} in ${region} is already gone or not owned by this account`);
    return;
  }
  // An AMI older than the distribution is not one it made: the source AMI, listed when the configuration
  // distributes to the source's own Region and account (e.g. a source given as an SSM parameter or image ARN).
  const amiCreated = Date.parse(described.CreationDate ?? '');
  if (!(amiCreated >= imageCreated)) {
    log(`${name}: keeping ${amiId} in ${region}: created ${described.CreationDate}, not after the distribution (${new Date(imageCreated).toString()})`);
    return;
  }

  try {
    await call(context, 'DeregisterImage', target, () => ec2.deregisterImage({ ImageId: amiId }), amiGone);
  } catch (err) {
    if (!amiGone(err)) throw err;
  }
  // Snapshots survive deregistration and cost money; they can only go once the AMI is gone.
  const snapshotKept = (err: unknown) => ['InvalidSnapshot.NotFound', 'InvalidSnapshot.InUse'].includes((err as Error)?.name);
  for (const mapping of described.BlockDeviceMappings ?? []) {
    const snapshotId = mapping.Ebs?.SnapshotId;
    if (!snapshotId) continue;
    try {
      await call(context, 'DeleteSnapshot', `${snapshotId} in ${region}`, () => ec2.deleteSnapshot({ SnapshotId: snapshotId }), snapshotKept);
    } catch (err) {
      if (!snapshotKept(err)) throw err;
      if ((err as Error).name === 'InvalidSnapshot.InUse') {
        log(`${name}: keeping snapshot ${snapshotId} in ${region}: still used by another AMI (${(err as Error).message})`);
      }
    }
  }
  log(`${name}: deregistered ${amiId} in ${region} and deleted its snapshots`);
}
