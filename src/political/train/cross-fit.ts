import { classify, sigmoid, wantsQuality, type FeatureBlock, type ModeModel, type Platt, type PoliticalScores } from '../model.ts';
import { foldOf, type LabelledPost, type Post } from './data.ts';
import { binaryMetrics, type BinaryMetrics } from './evaluate.ts';
import type { FitOptions } from './fit.ts';
import { calibrate, fitUncalibrated, marginOf, teach, type RecipeSettings } from './recipe.ts';

export interface CrossFitPlan {
  /** The teacher's (quality mode's) features and learner settings, and the student's (default mode's). */
  teacher: { features: FeatureBlock[]; fit: FitOptions };
  student: { features: FeatureBlock[]; fit: FitOptions; distilled: boolean };
  /** Labelled development posts (every non-test group) and the unlabelled posts of the same groups. */
  labelled: readonly LabelledPost[];
  unlabelled: readonly Post[];
  groupOf: (post: Post) => string;
  folds: number;
  foldSeed: number;
  bands: readonly { low: number; high: number }[];
}

type Band = { low: number; high: number };

const withPlatt = (mode: ModeModel, platt: Platt): ModeModel => ({ ...mode, sociopolitical: { ...mode.sociopolitical, platt } });

/**
 * The shipped recipe, fitted without a validation split: grouped K-fold over all development posts. In each fold a
 * teacher learns from the other folds' labelled posts and a student from those plus the teacher's soft answers on
 * the other folds' unlabelled posts; both score the held-out fold. The Platt scaling of each, the shared threshold
 * (the most accurate whose recall reaches `minRecall`) and the quality band are read off these out-of-fold answers —
 * some 3,000 posts instead of a 576-post validation split. Teacher and student are then refitted on every
 * development post and take the out-of-fold calibration. Returns the two modes and the out-of-fold scores
 * (`outOfFold`, in `plan.labelled` order) as the quality modes would give them.
 */
export function crossFit(plan: CrossFitPlan, settings: RecipeSettings) {
  const fold = (post: Post) => foldOf(plan.groupOf(post), plan.foldSeed, plan.folds);
  const folds = plan.labelled.map(fold);
  const labels = plan.labelled.map((p) => p.sociopolitical);
  const fitTeacher = (labelled: readonly LabelledPost[]) => fitUncalibrated(plan.teacher.features, labelled, { ...settings, options: plan.teacher.fit });
  const outside = <T extends Post>(posts: readonly T[], k: number) => posts.filter((p) => fold(p) !== k);
  const outOfFoldMargins = (models: readonly ModeModel[]) => plan.labelled.map((p, i) => marginOf(models[folds[i]!]!, settings.input(p)));

  const teachers = Array.from({ length: plan.folds }, (_, k) => fitTeacher(outside(plan.labelled, k)));
  // Soft targets need a calibrated teacher: every fold's teacher takes the Platt scaling of all out-of-fold margins.
  const teacherPlatt = calibrate(teachers[0]!, outOfFoldMargins(teachers), labels, settings.minRecall).sociopolitical.platt;
  const fitStudent = (teacher: ModeModel, labelled: readonly LabelledPost[], unlabelled: readonly Post[]) =>
    fitUncalibrated(plan.student.features, labelled, { ...settings, options: plan.student.fit }, plan.student.distilled ? teach(withPlatt(teacher, teacherPlatt), unlabelled, settings.input) : []);
  const students = teachers.map((teacher, k) => fitStudent(teacher, outside(plan.labelled, k), outside(plan.unlabelled, k)));
  const studentCalibration = calibrate(students[0]!, outOfFoldMargins(students), labels, settings.minRecall);
  const { threshold } = studentCalibration;
  const studentPlatt = studentCalibration.sociopolitical.platt;

  const outOfFold = (band: Band) =>
    plan.labelled.map((p, i): { default: PoliticalScores; quality: PoliticalScores; consulted: boolean } => {
      const input = settings.input(p);
      const fast = classify(withPlatt(students[folds[i]!]!, studentPlatt), input);
      const consulted = wantsQuality({ ...teachers[0]!, band }, fast.sociopolitical);
      return { default: fast, quality: consulted ? classify(withPlatt(teachers[folds[i]!]!, teacherPlatt), input) : fast, consulted };
    });
  const bands = plan.bands.map((band) => {
    const scores = outOfFold(band);
    return {
      band,
      share: scores.filter((s) => s.consulted).length / scores.length,
      metrics: binaryMetrics(
        scores.map((s) => s.quality.sociopolitical),
        labels,
        threshold,
      ),
      scores,
    };
  });
  // Ties go to the earlier (cheaper) band.
  const chosen = bands.reduce((best, b) => (b.metrics.accuracy > best.metrics.accuracy ? b : best));

  const teacherFinal = withPlatt(fitTeacher(plan.labelled), teacherPlatt);
  const studentFinal = withPlatt(fitStudent(teacherFinal, plan.labelled, plan.unlabelled), studentPlatt);
  const report = {
    folds: plan.folds,
    threshold,
    band: chosen.band,
    default: binaryMetrics(
      chosen.scores.map((s) => s.default.sociopolitical),
      labels,
      threshold,
    ),
    quality: chosen.metrics,
    bands: bands.map(({ scores, ...rest }) => rest),
  };
  return {
    default: { ...studentFinal, threshold },
    quality: { ...teacherFinal, threshold, band: chosen.band },
    outOfFold: { default: chosen.scores.map((s) => s.default), quality: chosen.scores.map((s) => s.quality) },
    report,
  };
}
