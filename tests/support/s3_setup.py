#!/usr/bin/env python3
"""Sets up the S3 test server (moto, started with INITIAL_NO_AUTH_ACTION_COUNT=3): a user whose
access key the tests use, allowed everything on S3 but deleting an object whose key contains
`locked`, and the tests' bucket. Prints {"key_id", "secret"} as JSON.

    s3_setup.py ENDPOINT BUCKET
    s3_setup.py ENDPOINT BUCKET --no-auth    (a server that checks no signature: the bucket only)
"""
import json
import sys

import boto3

endpoint, bucket = sys.argv[1], sys.argv[2]
if sys.argv[3:] == ["--no-auth"]:
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test").create_bucket(Bucket=bucket)
    print(json.dumps({"key_id": "test", "secret": "test"}))
    sys.exit(0)
anyone = dict(endpoint_url=endpoint, region_name="us-east-1",
              aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="setup")
iam = boto3.client("iam", **anyone)
# The three actions taken before the server checks signatures.
iam.create_user(UserName="privctl")
key = iam.create_access_key(UserName="privctl")["AccessKey"]
iam.put_user_policy(UserName="privctl", PolicyName="privctl-tests", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::*locked*"},
    ],
}))
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
s3.create_bucket(Bucket=bucket)
print(json.dumps({"key_id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}))
