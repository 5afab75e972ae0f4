/**
 * Labels and annotations on RoleBindings that make them CF roles, as Korifi writes and reads them.
 */
/** Label: the GUID of the CF role a RoleBinding is (a RoleBinding's name is derived, not the GUID). */
export const roleGuidLabel = 'cloudfoundry.org/role-guid';
/** Annotation `"true"`: the reconcilers copy this binding into the namespaces of child orgs/spaces. */
export const propagateRoleAnnotation = 'cloudfoundry.org/propagate-cf-role';
/** Label on a propagated copy: the namespace it was copied from. Copies are not listed as roles. */
export const propagatedFromLabel = 'cloudfoundry.org/propagated-from';
/** Annotation `"false"` on a copy: keep it when its source goes. */
export const propagateDeletionAnnotation = 'cloudfoundry.org/propagate-deletion';
