import { getApp } from '../domain/apps/app-service.ts';
import {
  createPackage as createPackageIn,
  getPackage as getPackageIn,
  listPackages as listPackagesIn,
  updatePackage as updatePackageIn,
  type Package,
} from '../domain/packages/package-service.ts';
import { uploadPackageBits as uploadPackageBitsIn } from '../domain/packages/package-upload.ts';
import { isUploading } from '../domain/packages/upload-claim.ts';
import { requestContext } from '../domain/request-context.ts';
import type { HandlerMap, OperationHandler, Scope } from '../http/operation.ts';
import { presentPackage } from '../presenters/package.ts';
import { labelSelectorOf, pageOf, present, timestampFields } from './list-pages.ts';

const show = (scope: Scope) => (cfPackage: Package) =>
  presentPackage(cfPackage, scope.runtime.config, { uploading: isUploading(cfPackage) });

const listPackages: OperationHandler<'listPackages'> = async ({ query }, scope) => {
  const filters = {
    ...present({
      guids: query.guids,
      appGuids: query.app_guids,
      spaceGuids: query.space_guids,
      organizationGuids: query.organization_guids,
      states: query.states,
      types: query.types,
    }),
    ...labelSelectorOf(query),
  };
  const packages = await listPackagesIn(requestContext(scope), filters);
  return { status: 200, body: pageOf(scope, packages, query, { sortFields: timestampFields, present: show(scope) }) };
};

const listAppPackages: OperationHandler<'listAppPackages'> = async ({ path, query }, scope) => {
  const context = requestContext(scope);
  const app = await getApp(context, path.guid);
  const filters = {
    spaceGuids: [app.metadata.namespace ?? ''],
    appGuids: [app.metadata.name],
    ...present({ states: query.states, types: query.types }),
    ...labelSelectorOf(query),
  };
  const packages = await listPackagesIn(context, filters);
  return { status: 200, body: pageOf(scope, packages, query, { sortFields: timestampFields, present: show(scope) }) };
};

const getPackage: OperationHandler<'getPackage'> = async ({ path }, scope) => {
  const cfPackage = await getPackageIn(requestContext(scope), path.guid);
  return { status: 200, body: show(scope)(cfPackage) };
};

const createPackage: OperationHandler<'createPackage'> = async ({ body }, scope) => {
  const cfPackage = await createPackageIn(requestContext(scope), {
    type: body.type,
    appGuid: body.relationships.app.data.guid,
    data: body.data,
    metadata: body.metadata,
  });
  return { status: 201, body: show(scope)(cfPackage) };
};

const updatePackage: OperationHandler<'updatePackage'> = async ({ path, body }, scope) => {
  const cfPackage = await updatePackageIn(requestContext(scope), path.guid, body.metadata);
  return { status: 200, body: show(scope)(cfPackage) };
};

const uploadPackageBits: OperationHandler<'uploadPackageBits'> = async ({ path }, scope) => {
  const request = scope.rawRequest;
  const cfPackage = await uploadPackageBitsIn(requestContext(scope), scope.runtime.bits, path.guid, {
    body: request,
    headers: request.headers,
  });
  return { status: 200, body: show(scope)(cfPackage) };
};

export const packageHandlers = {
  listPackages,
  listAppPackages,
  getPackage,
  createPackage,
  updatePackage,
  uploadPackageBits,
} satisfies Partial<HandlerMap>;
