"""Fixes to moto_server's own defects, loaded into the moto_server child only
(local-aws/emulator/moto.ts puts this folder first on its PYTHONPATH).

Each fix makes moto do what AWS documents, never something kinder; each says
which moto version needs it and is skipped when moto already behaves.
"""

try:
    from moto.ec2.models.elastic_network_interfaces import NetworkInterface
except ImportError:  # moto missing: moto.ts reports that with the install command
    NetworkInterface = None

# moto 5.2: ECS RunTask of an awsvpc task (every Fargate task) reads the
# interface's `private_dns_name`, which moto's NetworkInterface lacks, and
# answers 500. EC2 names an interface's private DNS name after its primary
# private IPv4 address (EC2 User Guide, "Amazon EC2 instance hostname types":
# ip-10-0-1-10.ec2.internal in us-east-1, ip-10-0-1-10.<region>.compute.internal elsewhere).
if NetworkInterface is not None and not hasattr(NetworkInterface, "private_dns_name"):

    def _get_private_dns_name(self):
        # moto sets the name itself on some interfaces (those created with an address): keep it.
        if "_cordon_private_dns_name" in self.__dict__:
            return self.__dict__["_cordon_private_dns_name"]
        region = getattr(self, "region_name", None) or getattr(getattr(self, "ec2_backend", None), "region_name", "us-east-1")
        host = "ip-" + str(self.private_ip_address).replace(".", "-")
        return host + (".ec2.internal" if region == "us-east-1" else "." + region + ".compute.internal")

    def _set_private_dns_name(self, value):
        self.__dict__["_cordon_private_dns_name"] = value

    NetworkInterface.private_dns_name = property(_get_private_dns_name, _set_private_dns_name)

try:
    from moto.ec2.responses.elastic_network_interfaces import ElasticNetworkInterfaces
except ImportError:
    ElasticNetworkInterfaces = None

# moto 5.2: CreateNetworkInterface ignores InterfaceType and makes every
# interface an `interface`. EC2 creates it of the type asked (efa, efa-only,
# branch or trunk) and reports that type in DescribeNetworkInterfaces and in
# DescribeInstances' interfaces (EC2 API Reference, CreateNetworkInterface
# "InterfaceType"; InstanceNetworkInterface "InterfaceType": interface | efa |
# efa-only | trunk). EKS's VPC resource controller makes a node's trunk
# interface this way (EKS User Guide, "Assign security groups to individual Pods").
if ElasticNetworkInterfaces is not None and not getattr(ElasticNetworkInterfaces, "_cordon_interface_type", False):
    _create_network_interface = ElasticNetworkInterfaces.create_network_interface

    def _create_typed_network_interface(self):
        out = _create_network_interface(self)
        kind = self._get_param("InterfaceType")
        if kind:
            out.result["NetworkInterface"].interface_type = kind
        return out

    ElasticNetworkInterfaces.create_network_interface = _create_typed_network_interface
    ElasticNetworkInterfaces._cordon_interface_type = True

try:
    from moto.ec2.models import EC2Backend
    from moto.ec2.models.nat_gateways import NatGateway
    from moto.elbv2.models import ELBv2Backend
    from moto.ec2.utils import random_private_ip
except ImportError:
    EC2Backend = NatGateway = ELBv2Backend = None

# moto 5.2: the network interfaces AWS services create in a VPC are missing or
# untyped. A NAT gateway, an interface or Gateway Load Balancer endpoint, a
# Transit Gateway VPC attachment and a Network or Gateway Load Balancer each
# have a requester-managed interface in every subnet they use, of interface
# type nat_gateway, vpc_endpoint, gateway_load_balancer_endpoint,
# transit_gateway, network_load_balancer or gateway_load_balancer, gone when
# the resource is deleted; DescribeNetworkInterfaces filters on
# `interface-type` (EC2 API Reference, DescribeNetworkInterfaces, Filter.N;
# VPC User Guide, "Requester-managed network interfaces"). moto makes untyped
# interfaces for NAT gateways (kept after deletion) and interface endpoints,
# none for the others, and has no such filter.
if EC2Backend is not None and not getattr(EC2Backend, "_cordon_managed_interfaces", False):
    _eni_filter_value = NetworkInterface.get_filter_value

    def _typed_filter_value(self, filter_name, method_name=None):
        if filter_name == "interface-type":
            return self.interface_type
        return _eni_filter_value(self, filter_name, method_name)

    NetworkInterface.get_filter_value = _typed_filter_value

    def _managed_interface(ec2, subnet_id, kind, description, eni=None):
        eni = eni or ec2.create_network_interface(ec2.get_subnet(subnet_id), random_private_ip(ec2.get_subnet(subnet_id).cidr_block))
        eni.interface_type = kind
        eni.requester_managed = True
        eni.description = description
        return eni

    def _drop_interfaces(ec2, eni_ids):
        for eni_id in eni_ids:
            ec2.enis.pop(eni_id, None)

    _nat_init = NatGateway.__init__

    def _nat_gateway_init(self, backend, *args, **kwargs):
        _nat_init(self, backend, *args, **kwargs)
        _managed_interface(backend, self.subnet_id, "nat_gateway", "Interface for NAT Gateway " + self.id, self._eni)

    NatGateway.__init__ = _nat_gateway_init

    _delete_nat_gateway = EC2Backend.delete_nat_gateway

    def _delete_nat_gateway_and_interface(self, nat_gateway_id):
        gw = _delete_nat_gateway(self, nat_gateway_id)
        _drop_interfaces(self, [gw._eni.id])
        return gw

    EC2Backend.delete_nat_gateway = _delete_nat_gateway_and_interface

    _create_vpc_endpoint = EC2Backend.create_vpc_endpoint

    def _create_vpc_endpoint_with_interfaces(self, *args, **kwargs):
        ep = _create_vpc_endpoint(self, *args, **kwargs)
        kind = (ep.vpc_endpoint_type or "").lower()
        if kind == "interface":
            for eni_id in ep.network_interface_ids:
                _managed_interface(self, self.enis[eni_id].subnet.id, "vpc_endpoint", "VPC Endpoint Interface " + ep.id, self.enis[eni_id])
        elif kind == "gatewayloadbalancer":
            ep.network_interface_ids = [
                _managed_interface(self, subnet_id, "gateway_load_balancer_endpoint", "VPC Endpoint Interface " + ep.id).id
                for subnet_id in ep.subnet_ids or []
            ]
        return ep

    EC2Backend.create_vpc_endpoint = _create_vpc_endpoint_with_interfaces

    _delete_vpc_endpoints = EC2Backend.delete_vpc_endpoints

    def _delete_vpc_endpoints_and_interfaces(self, vpce_ids=None):
        for vpce_id in vpce_ids or []:
            ep = self.vpc_end_points.get(vpce_id)
            if ep is not None:
                _drop_interfaces(self, list(ep.network_interface_ids or []))
        return _delete_vpc_endpoints(self, vpce_ids)

    EC2Backend.delete_vpc_endpoints = _delete_vpc_endpoints_and_interfaces

    _create_tgw_attachment = EC2Backend.create_transit_gateway_vpc_attachment

    def _create_tgw_attachment_with_interfaces(self, *args, **kwargs):
        att = _create_tgw_attachment(self, *args, **kwargs)
        att._cordon_enis = [
            _managed_interface(self, subnet_id, "transit_gateway", "Network Interface for Transit Gateway Attachment " + att.id).id
            for subnet_id in att.subnet_ids or []
        ]
        return att

    EC2Backend.create_transit_gateway_vpc_attachment = _create_tgw_attachment_with_interfaces

    _delete_tgw_attachment = EC2Backend.delete_transit_gateway_vpc_attachment

    def _delete_tgw_attachment_and_interfaces(self, transit_gateway_attachment_id, *args, **kwargs):
        att = self.transit_gateway_attachments.get(transit_gateway_attachment_id)
        _drop_interfaces(self, getattr(att, "_cordon_enis", []))
        return _delete_tgw_attachment(self, transit_gateway_attachment_id, *args, **kwargs)

    EC2Backend.delete_transit_gateway_vpc_attachment = _delete_tgw_attachment_and_interfaces

    _create_load_balancer = ELBv2Backend.create_load_balancer

    def _create_load_balancer_with_interfaces(self, *args, **kwargs):
        lb = _create_load_balancer(self, *args, **kwargs)
        if lb.type in ("network", "gateway"):
            kind = "network_load_balancer" if lb.type == "network" else "gateway_load_balancer"
            prefix = "net" if lb.type == "network" else "gwy"
            lb._cordon_enis = [
                _managed_interface(self.ec2_backend, subnet.id, kind, "ELB " + prefix + "/" + lb.name + "/" + lb.arn.rsplit("/", 1)[-1]).id
                for subnet in lb.subnets
            ]
        return lb

    ELBv2Backend.create_load_balancer = _create_load_balancer_with_interfaces

    _delete_load_balancer = ELBv2Backend.delete_load_balancer

    def _delete_load_balancer_and_interfaces(self, arn):
        lb = self.load_balancers.get(arn)
        if lb is not None:
            _drop_interfaces(self.ec2_backend, getattr(lb, "_cordon_enis", []))
        return _delete_load_balancer(self, arn)

    ELBv2Backend.delete_load_balancer = _delete_load_balancer_and_interfaces
    EC2Backend._cordon_managed_interfaces = True

# moto 5.2: CreateSnapshots ignores InstanceSpecification.ExcludeDataVolumeIds
# and snapshots every volume. EC2 leaves those data volumes out of the set, and
# refuses the request when one of them is the root volume (EC2 API Reference,
# InstanceSpecification: "If you specify the ID of the root volume, the request
# fails. To exclude the root volume, use ExcludeBootVolume").
if EC2Backend is not None and not getattr(EC2Backend, "_cordon_snapshot_exclusions", False):
    from moto.ec2.exceptions import InvalidParameterValueError

    _create_snapshots = EC2Backend.create_snapshots

    def _create_snapshots_excluding(self, instance_spec, description, tags):
        excluded = instance_spec.get("ExcludeDataVolumeIds") or instance_spec.get("ExcludeDataVolumeId") or []
        if isinstance(excluded, str):
            excluded = [excluded]
        if not excluded:
            return _create_snapshots(self, instance_spec, description, tags)
        instance = self.get_instance(instance_spec["InstanceId"])
        for device, mapping in instance.block_device_mapping.items():
            if device == instance.root_device_name and mapping.volume_id in excluded:
                raise InvalidParameterValueError(mapping.volume_id)
        taken = _create_snapshots(self, instance_spec, description, tags)
        for snapshot in [s for s in taken if s.volume.id in excluded]:
            self.snapshots.pop(snapshot.id, None)
        return [s for s in taken if s.volume.id not in excluded]

    EC2Backend.create_snapshots = _create_snapshots_excluding
    EC2Backend._cordon_snapshot_exclusions = True

try:
    from moto.awslambda.models import LambdaBackend
except ImportError:
    LambdaBackend = None


def _function_ref(ref):
    """A function reference as Lambda resolves it: `name`, `name:qualifier`, from a name, a partial or a full ARN."""
    if not ref:
        return ref
    parts = str(ref).split(":")
    if ref.startswith("arn:") and len(parts) >= 7:
        return ":".join(parts[6:])
    if len(parts) >= 3 and parts[1] == "function":  # partial ARN: <account>:function:<name>[:<qualifier>]
        return ":".join(parts[2:])
    return ref


# moto 5.2: ListEventSourceMappings compares FunctionName with the text the
# mapping was created with, so a function named by its ARN finds the mappings
# made with its name (and the reverse) nowhere. Lambda accepts a name, a
# partial or a full ARN for both (Lambda API Reference, ListEventSourceMappings).
if LambdaBackend is not None and not getattr(LambdaBackend, "_cordon_esm_names", False):
    _list_esm = LambdaBackend.list_event_source_mappings

    def _list_event_source_mappings(self, event_source_arn, function_name):
        found = _list_esm(self, event_source_arn, None)
        if not function_name:
            return found
        wanted = _function_ref(function_name)
        return [m for m in found if _function_ref(m.function_name) == wanted]

    LambdaBackend.list_event_source_mappings = _list_event_source_mappings
    LambdaBackend._cordon_esm_names = True


try:
    import threading

    from moto.dynamodb.models import DynamoDBBackend
except ImportError:
    DynamoDBBackend = None

# moto 5.2: TransactWriteItems copies the whole table first and, when a
# condition fails, puts that copy back, erasing what concurrent requests wrote
# meanwhile (moto_server answers requests on several threads); and a query may
# see a transaction half applied. DynamoDB applies a transaction atomically and
# isolated from every other read and write (DynamoDB Developer Guide,
# "Isolation levels for DynamoDB transactions": serializable). One lock around
# the backend's item reads and writes gives moto that isolation.
# moto 5.2: TransactWriteItems deep-copies every table it names before
# applying (to put it back if a condition fails): on a table of thousands of
# audit records each transaction costs seconds, and the responder gives a
# lease back in the same transaction as its records. Only the items a
# transaction names can change, so only they are kept and put back; what the
# transaction does and answers is moto's own (installed before the lock below,
# which then wraps it).
if DynamoDBBackend is not None and not getattr(DynamoDBBackend, "_cordon_item_rollback", False):
    import copy as _copy
    import types as _types

    import moto.dynamodb.models as _dynamodb_models
    from moto.dynamodb.models.table import Table as _Table

    _transact_write_items = DynamoDBBackend.transact_write_items

    def _deepcopy_but_tables(value, memo=None):
        return value if isinstance(value, _Table) else _copy.deepcopy(value, memo)

    _no_table_copy = _types.SimpleNamespace(deepcopy=_deepcopy_but_tables, copy=_copy.copy)

    def _item_rollback_transact_write_items(self, transact_items):
        saved = []
        for entry in transact_items:
            try:
                op_type, op = next(iter(entry.items()))
                table = self.tables.get(op.get("TableName"))
                if table is None:
                    continue
                if op_type == "Put":
                    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                    if table.range_key_attr is not None:
                        key[table.range_key_attr] = op["Item"][table.range_key_attr]
                else:
                    key = op["Key"]
                hash_key, range_key = self.get_keys_value(table, key)
                saved.append((table, hash_key, range_key, _copy.deepcopy(table.get_item(hash_key, range_key))))
            except Exception:  # a malformed item: moto's own code answers it
                continue
        _dynamodb_models.copy = _no_table_copy
        try:
            return _transact_write_items(self, transact_items)
        except Exception:
            for table, hash_key, range_key, old in reversed(saved):
                if range_key is not None:
                    if old is None:
                        table.items[hash_key].pop(range_key, None)
                    else:
                        table.items[hash_key][range_key] = old
                elif old is None:
                    table.items.pop(hash_key, None)
                else:
                    table.items[hash_key] = old
            raise
        finally:
            _dynamodb_models.copy = _copy

    DynamoDBBackend.transact_write_items = _item_rollback_transact_write_items
    DynamoDBBackend._cordon_item_rollback = True

if DynamoDBBackend is not None and not getattr(DynamoDBBackend, "_cordon_serialized", False):
    _dynamodb_lock = threading.RLock()

    def _serialized(method):
        def run(self, *args, **kwargs):
            with _dynamodb_lock:
                return method(self, *args, **kwargs)

        return run

    for _name in (
        "get_item",
        "query",
        "scan",
        "put_item",
        "update_item",
        "delete_item",
        "batch_get_item",
        "transact_get_items",
        "transact_write_items",
    ):
        if hasattr(DynamoDBBackend, _name):
            setattr(DynamoDBBackend, _name, _serialized(getattr(DynamoDBBackend, _name)))
    DynamoDBBackend._cordon_serialized = True

# moto 5.2: PutRolePolicy accepts inline policies of any aggregate size. IAM
# refuses one that would bring a role's inline policies past 10,240
# characters, whitespace not counted (IAM User Guide, "IAM and AWS STS
# quotas": "Role policy size cannot exceed 10,240 characters"; IAM API
# Reference, PutRolePolicy: LimitExceeded, HTTP 409).

try:
    from moto.iam.exceptions import LimitExceededException as _IamLimitExceeded
    from moto.iam.models import IAMBackend as _IAMBackend
except ImportError:  # moto missing: moto.ts reports that with the install command
    _IAMBackend = None

_ROLE_INLINE_POLICIES_MAX_CHARS = 10240


def _policy_chars(document):
    return len("".join(str(document).split()))


if _IAMBackend is not None and not getattr(_IAMBackend, "_cordon_role_quota", False):
    _put_role_policy = _IAMBackend.put_role_policy

    def _put_role_policy_within_quota(self, role_name, policy_name, policy_json):
        role = self.get_role(role_name)
        others = sum(_policy_chars(d) for n, d in role.policies.items() if n != policy_name)
        if others + _policy_chars(policy_json) > _ROLE_INLINE_POLICIES_MAX_CHARS:
            raise _IamLimitExceeded(
                f"Maximum policy size of {_ROLE_INLINE_POLICIES_MAX_CHARS} bytes exceeded for role {role_name}"
            )
        return _put_role_policy(self, role_name, policy_name, policy_json)

    _IAMBackend.put_role_policy = _put_role_policy_within_quota
    _IAMBackend._cordon_role_quota = True

# moto 5.2: an attached interface reports its own groups unioned with the
# groups its instance was launched with, so an interface moved into a new
# group still shows the old ones (and ModifyInstanceAttribute's groupSet
# changes only the instance's list). In EC2 a security group belongs to an
# interface: each interface has its own groups, an instance's groups are
# those of its primary interface, and ModifyInstanceAttribute groupSet
# replaces the primary interface's groups (EC2 User Guide, "Security groups
# for your EC2 instances"; EC2 API Reference, ModifyInstanceAttribute
# "Groups": "Replaces the security groups of the instance"; InstanceNetworkInterface "Groups").
try:
    from moto.ec2.models.instances import InstanceBackend as _InstanceBackend
    from moto.ec2.models.elastic_network_interfaces import NetworkInterfaceBackend as _EniBackend
except ImportError:
    _InstanceBackend = _EniBackend = None

if NetworkInterface is not None and _EniBackend is not None and not getattr(NetworkInterface, "_cordon_own_groups", False):
    NetworkInterface.group_set = property(lambda self: self._group_set)
    _modify_eni_attribute = _EniBackend.modify_network_interface_attribute
    _modify_instance_groups = _InstanceBackend.modify_instance_security_groups

    def _modify_eni_attribute_own_groups(self, eni_id, group_ids, *args, **kwargs):
        out = _modify_eni_attribute(self, eni_id, group_ids, *args, **kwargs)
        eni = self.get_network_interface(eni_id)
        if group_ids and eni.instance is not None and eni.device_index == 0:
            eni.instance.security_groups = list(eni._group_set)
        return out

    def _modify_instance_groups_primary(self, instance_id, new_group_id_list):
        instance = _modify_instance_groups(self, instance_id, new_group_id_list)
        primary = getattr(instance, "nics", {}).get(0)
        if primary is not None:
            primary._group_set = list(instance.security_groups)
        return instance

    _EniBackend.modify_network_interface_attribute = _modify_eni_attribute_own_groups
    _InstanceBackend.modify_instance_security_groups = _modify_instance_groups_primary
    NetworkInterface._cordon_own_groups = True

# moto 5.2: S3 ignores the x-amz-expected-bucket-owner header (the SDK's
# ExpectedBucketOwner). S3 refuses a request naming an expected owner that is
# not the bucket's owner with 403 Access Denied, whatever the caller may do
# otherwise (S3 User Guide, "Verifying bucket ownership with bucket owner condition").
try:
    from moto.s3.exceptions import S3AccessDeniedError as _S3AccessDenied
    from moto.s3.models import s3_backends as _s3_backends
    from moto.s3.responses import S3Response as _S3Response
except ImportError:
    _S3Response = None

if _S3Response is not None and not getattr(_S3Response, "_cordon_expected_owner", False):

    def _owner_checked(handler):
        def checked(self, request, full_url):
            expected = request.headers.get("x-amz-expected-bucket-owner")
            if expected:
                owner = _s3_backends.bucket_accounts.get(self.parse_bucket_name_from_url(request, full_url) or "")
                if owner is not None and owner[1] != expected:
                    raise _S3AccessDenied()
            return handler(self, request, full_url)

        return checked

    _S3Response._bucket_response = _owner_checked(_S3Response._bucket_response)
    _S3Response._key_response = _owner_checked(_S3Response._key_response)
    _S3Response._cordon_expected_owner = True

# Speed, not behaviour: what follows changes how long moto takes, never what it answers.

try:
    import threading as _threading

    from moto.dynamodb.models.table import Table
except ImportError:  # moto missing: moto.ts reports that with the install command
    Table = None

# moto 5.2: a Query of a table's own key (no index) lists every item of the
# table, sorts them all by key, and only then keeps those of the one partition
# key asked for: each Query costs O(n log n) in the table's size, so a burst
# writing an audit table of tens of thousands of items slows without bound.
# DynamoDB reads one partition (Developer Guide, "Query operations"). The
# partition's items are moto's own dict entry for that key; the rest of the
# Query (conditions, sort, pages, filters) is moto's, unchanged.
if Table is not None and not getattr(Table, "_cordon_partition_query", False):
    _partition = _threading.local()
    _all_items = Table.all_items
    _query = Table.query

    def _all_items_of_partition(self):
        hash_key = getattr(_partition, "key", None)
        if getattr(_partition, "table", None) is not self or hash_key is None:
            return _all_items(self)
        found = self.items.get(hash_key)
        if found is None:
            return []
        # With a range key moto keeps a dict (range key → item) per partition; without one, the item itself.
        return list(found.values()) if self.range_key_attr else [found]

    def _partition_query(self, hash_key, *args, **kwargs):
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if index_name or hash_key is None:
            return _query(self, hash_key, *args, **kwargs)
        saved = (getattr(_partition, "table", None), getattr(_partition, "key", None))
        _partition.table, _partition.key = self, hash_key
        try:
            return _query(self, hash_key, *args, **kwargs)
        finally:
            _partition.table, _partition.key = saved

    Table.all_items = _all_items_of_partition
    Table.query = _partition_query
    Table._cordon_partition_query = True
