// The AWS service principals the constructs' roles trust or are passed to, each named once.

/** Build and test instances (the instance role's trust). */
export const EC2_SERVICE = 'ec2.amazonaws.com';
/** Image Builder (the execution role's trust; iam:PassedToService of DistributeImage). */
export const IMAGE_BUILDER_SERVICE = 'imagebuilder.amazonaws.com';
/** VM Import/Export, which S3 disk-image export roles are passed to. */
export const VM_IMPORT_EXPORT_SERVICE = 'vmie.amazonaws.com';
/** EC2 Fast Launch (its service-linked role). */
export const EC2_FAST_LAUNCH_SERVICE = 'ec2fastlaunch.amazonaws.com';
/** Lambda (the custom-resource handler's roles). */
export const LAMBDA_SERVICE = 'lambda.amazonaws.com';
