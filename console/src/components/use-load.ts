// One loading state for a page's data: loading, the error worded by the server, reload.
import { ref, type Ref } from 'vue';
import { explain } from '../api.ts';

export function useLoad<T>(loader: () => Promise<T>): { data: Ref<T | null>; error: Ref<string | null>; loading: Ref<boolean>; reload: () => Promise<void> } {
  const data = ref<T | null>(null) as Ref<T | null>;
  const error = ref<string | null>(null);
  const loading = ref(false);
  const reload = async (): Promise<void> => {
    loading.value = true;
    error.value = null;
    try {
      data.value = await loader();
    } catch (caught) {
      error.value = explain(caught);
    } finally {
      loading.value = false;
    }
  };
  return { data, error, loading, reload };
}

/**
 * One state-changing action of a page: clears the last refusal, runs, and on failure keeps the
 * server's reason worded by `refused` (the page's "Refused: {reason}" text).
 */
export function useAction(refused: (reason: string) => string): { actionError: Ref<string | null>; run: (work: () => Promise<void>) => Promise<void> } {
  const actionError = ref<string | null>(null);
  const run = async (work: () => Promise<void>): Promise<void> => {
    actionError.value = null;
    try {
      await work();
    } catch (caught) {
      actionError.value = refused(explain(caught));
    }
  };
  return { actionError, run };
}
